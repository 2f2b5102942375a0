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
        let accounts = self.accounts
        return try await database.withConnection { connection in
            try await Self.current(identity, accounts: accounts, on: connection)
        }
    }

    @Sendable func updateProfile(_ request: Request, context: ServiceRequestContext) async throws -> CurrentUser {
        let identity = try context.requireIdentity()
        var body = try await JSONBody.read(
            request,
            context: context,
            allowed: ["full_name", "position", "phone", "email"]
        )
        let fullName = body.patchString("full_name", maxLength: 200)
        if case .clear = fullName { body.reject("full_name", "must not be empty") }
        let position = body.patchString("position", maxLength: 200)
        let phone = Self.phone(&body, "phone")
        let email = Self.contactEmail(&body, "email")
        try body.validate()

        let (accounts, events) = (self.accounts, self.events)
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
            if let name = fullName.value { user.fullName = name }
            user.position = position.applied(to: user.position)
            user.phone = phone.applied(to: user.phone)
            user.contactEmail = email.applied(to: user.contactEmail)
            let changes = ChangeSet.payload(before: before, after: user.auditFields)
            if !ChangeSet.isEmpty(changes) {
                user = try await accounts.update(user, on: connection)
                try await events.record(
                    "users.profile_updated",
                    .update,
                    resource: EventResource(type: "user", id: user.id.wireString),
                    payload: changes,
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

    /// A phone number field, normalized to E.164.
    static func phone(_ body: inout JSONBody, _ key: String) -> Patch<String> {
        let field = body.patchString(key, maxLength: 40)
        guard case .set(let text) = field else { return field }
        guard let phone = FieldFormats.phone(text) else {
            body.reject(key, "must be a phone number, such as +7 495 123-45-67 or 8 (495) 123-45-67")
            return .absent
        }
        return .set(phone)
    }

    /// An optional email field.
    static func contactEmail(_ body: inout JSONBody, _ key: String) -> Patch<String> {
        let field = body.patchString(key, maxLength: 254)
        guard case .set(let text) = field else { return field }
        guard let email = FieldFormats.email(text) else {
            body.reject(key, "must be an email address")
            return .absent
        }
        return .set(email)
    }
}
