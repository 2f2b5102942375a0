import Contracts
import Foundation
import Hummingbird
import PostgresNIO
import ServiceKit

/// `GET /api/users/me` and `PATCH /api/users/me/profile`: the caller's account, signature block and
/// organization, and the manager details printed on quotes.
struct ProfileController: Sendable {
    let database: Database
    let accounts: AccountStore
    let events: EventRecorder

    func addRoutes(to router: Router<ServiceRequestContext>) {
        let group = router.group("api/users/me").add(middleware: RequireRoleMiddleware())
        group.get(use: me)
        group.patch("profile", use: updateProfile)
    }

    @Sendable func me(_ request: Request, context: ServiceRequestContext) async throws -> CurrentUser {
        let identity = try context.requireIdentity()
        return try await database.withConnection { connection in
            try await Self.current(identity, accounts: accounts, on: connection)
        }
    }

    @Sendable func updateProfile(_ request: Request, context: ServiceRequestContext) async throws -> CurrentUser {
        let identity = try context.requireIdentity()
        let change = try await request.decode(as: ProfileChangeBody.self, context: context)

        return try await database.withTransaction { connection in
            guard
                var user = try await accounts.user(
                    identity.userID,
                    organizationID: identity.organizationID,
                    on: connection,
                    forUpdate: true
                ),
                user.active
            else { throw APIError.unauthorized("this account is no longer active") }
            let before = user.auditFields
            if let name = change.fullName.value { user.fullName = name }
            user.position = change.position.applied(to: user.position)
            user.phone = change.phone.applied(to: user.phone)
            user.contactEmail = change.email.applied(to: user.contactEmail)
            let changes = ChangeSet.changes(before: before, after: user.auditFields)
            if !changes.isEmpty {
                user = try await accounts.update(user, on: connection)
                try await events.record(
                    UserProfileUpdated(changes: changes),
                    resource: EventResource(type: "user", id: user.id.wireString),
                    context: context,
                    on: connection
                )
            }
            return try await Self.current(identity, accounts: accounts, on: connection)
        }
    }

    static func current(
        _ identity: Identity,
        accounts: AccountStore,
        on connection: PostgresConnection
    ) async throws -> CurrentUser {
        guard
            let user = try await accounts.user(
                identity.userID,
                organizationID: identity.organizationID,
                on: connection
            ),
            user.active,
            let organization = try await accounts.organization(identity.organizationID, on: connection)
        else { throw APIError.unauthorized("this account is no longer active") }
        return CurrentUser(
            user: user,
            profile: ManagerProfile(
                fullName: user.fullName,
                position: user.position,
                phone: user.phone,
                email: user.contactEmail ?? user.email
            ),
            organization: organization
        )
    }
}
