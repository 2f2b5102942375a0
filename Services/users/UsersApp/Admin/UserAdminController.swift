import Contracts
import Foundation
import HTTPTypes
import Hummingbird
import ServiceKit

/// Admin user management: `GET /api/users`, `POST /api/users`, `GET|PATCH /api/users/{id}`. Every query is
/// scoped to the admin's organization: another organization's user id answers 404.
struct UserAdminController: Sendable {
    let database: Database
    let accounts: AccountStore
    let tokens: TokenIssuer
    let hasher: PasswordHasher
    let events: EventRecorder

    func addRoutes(to router: Router<ServiceRequestContext>) {
        let group = router.group("api/users").add(middleware: RequireRoleMiddleware(.admin))
        group.get(use: list)
        group.post(use: create)
        group.get("{id}", use: show)
        group.patch("{id}", use: update)
    }

    @Sendable func list(_ request: Request, context: ServiceRequestContext) async throws -> ListPage<UserAccount> {
        let identity = try context.requireIdentity()
        var query = QueryParameters(request)
        let page = PageRequest(&query)
        try query.validate()
        return try await database.withConnection { connection in
            try await accounts.requireActiveAdmin(identity, on: connection)
            return try await accounts.users(organizationID: identity.organizationID, page: page, on: connection)
        }
    }

    @Sendable func show(_ request: Request, context: ServiceRequestContext) async throws -> UserAccount {
        let identity = try context.requireIdentity()
        let id = try Self.userID(context)
        return try await database.withConnection { connection in
            try await accounts.requireActiveAdmin(identity, on: connection)
            guard let user = try await accounts.user(id, organizationID: identity.organizationID, on: connection) else {
                throw AccountError.userNotFound
            }
            return user
        }
    }

    @Sendable func create(
        _ request: Request,
        context: ServiceRequestContext
    ) async throws -> EditedResponse<UserAccount> {
        let identity = try context.requireIdentity()
        let body = try await request.decode(as: NewUserBody.self, context: context)
        let (email, fullName, role, password) = (body.email, body.fullName, body.role, body.password)
        let (position, phone) = (body.position, body.phone)

        let hash = try await hasher.hash(password)
        let user = try await database.withTransaction { connection in
            try await accounts.requireActiveAdmin(identity, on: connection)
            let user = try await accounts.createUser(
                .init(
                    organizationID: identity.organizationID,
                    email: email,
                    passwordHash: hash,
                    role: role,
                    fullName: fullName,
                    position: position,
                    phone: phone
                ),
                on: connection
            )
            try await events.record(
                UserCreated(email: user.email, after: user.auditFields),
                resource: EventResource(type: "user", id: user.id.wireString),
                context: context,
                on: connection
            )
            return user
        }
        return EditedResponse(status: .created, response: user)
    }

    @Sendable func update(_ request: Request, context: ServiceRequestContext) async throws -> UserAccount {
        let identity = try context.requireIdentity()
        let id = try Self.userID(context)
        let change = try await request.decode(as: UserChangeBody.self, context: context)
        let (role, active) = (change.role, change.active)

        return try await database.withTransaction { connection in
            let activeAdmins = try await accounts.lockActiveAdmins(
                organizationID: identity.organizationID,
                on: connection
            )
            try await accounts.requireActiveAdmin(identity, on: connection)
            guard
                var user = try await accounts.user(
                    id,
                    organizationID: identity.organizationID,
                    on: connection,
                    forUpdate: true
                )
            else {
                throw AccountError.userNotFound
            }
            let before = user.auditFields
            let roleBefore = user.role
            let wasActiveAdmin = user.role == .admin && user.active
            if let role { user.role = role }
            if let active { user.active = active }
            if wasActiveAdmin && !(user.role == .admin && user.active) && activeAdmins <= 1 {
                throw AccountError.lastAdmin
            }
            let changes = ChangeSet.changes(before: before, after: user.auditFields)
            guard !changes.isEmpty else { return user }
            let updated = try await accounts.update(user, on: connection)
            // A token names its role: after a role change or a deactivation, none issued before may be used.
            if !updated.active || updated.role != roleBefore {
                try await tokens.revokeAll(userID: updated.id, on: connection)
            }
            try await events.record(
                UserUpdated(changes: changes),
                resource: EventResource(type: "user", id: updated.id.wireString),
                context: context,
                on: connection
            )
            return updated
        }
    }

    static func userID(_ context: ServiceRequestContext) throws -> UUID {
        guard let id = context.parameters.get("id", as: UUID.self) else { throw AccountError.userNotFound }
        return id
    }
}
