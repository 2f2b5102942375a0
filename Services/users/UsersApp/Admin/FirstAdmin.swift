import Contracts
import Foundation
import Logging
import PostgresNIO
import ServiceKit

/// What `users create-admin` is asked for: the first admin of a deployment, or of an organization, made
/// from the command line where registration is closed.
package struct FirstAdminRequest: Sendable {
    package var email: String
    package var fullName: String
    package var organizationName: String

    package init(email: String, fullName: String, organizationName: String) {
        self.email = email
        self.fullName = fullName
        self.organizationName = organizationName
    }
}

/// The admin `users create-admin` made or found, with a one-time reset token to set their password.
package struct FirstAdmin: Sendable {
    package var user: UserAccount
    package var organization: Organization
    package var createdOrganization: Bool
    package var createdUser: Bool
    package var resetToken: String
    package var resetExpiresAt: Date
}

/// Why `users create-admin` refused; each is one line for the operator.
package enum FirstAdminError: Error, Equatable, CustomStringConvertible {
    case invalid(option: String, reason: String)
    case notAdmin(email: String, organization: String)
    case otherOrganization(email: String, organization: String)
    case deactivated(email: String)
    case ambiguousOrganization(name: String, count: Int)

    package var description: String {
        switch self {
        case .invalid(let option, let reason):
            "--\(option) \(reason)"
        case .notAdmin(let email, let organization):
            "\(email) belongs to a manager of \"\(organization)\", not an admin: an admin can promote them in the app"
        case .otherOrganization(let email, let organization):
            "\(email) belongs to a user of another organization than \"\(organization)\"; choose another email"
        case .deactivated(let email):
            "\(email) belongs to a deactivated admin; another admin of the organization can reactivate them"
        case .ambiguousOrganization(let name, let count):
            "\(count) organizations are named \"\(name)\"; rename all but one in the app first"
        }
    }
}

/// Makes (or finds) the admin `request` names: applies the migrations (under their advisory lock), creates
/// the organization when none has that name, creates the admin in it with a password nobody knows, and issues
/// a reset token for them to set their own. Running it again for the same admin only issues a new token, so
/// it is safe to repeat; an email that belongs to a manager or to another organization is refused. It reads
/// the service's configuration and ignores `USERS_REGISTRATION_ENABLED`: it is how a closed deployment gets
/// its first admin. Its events wait in the outbox until a replica of the service relays them.
package func createFirstAdmin(
    _ request: FirstAdminRequest,
    configuration: ServiceConfiguration,
    logger: Logger
) async throws -> FirstAdmin {
    guard let email = FieldFormats.email(request.email) else {
        throw FirstAdminError.invalid(option: "email", reason: "must be an email address")
    }
    let fullName = try FirstAdminRequest.name(request.fullName, option: "full-name")
    let organizationName = try FirstAdminRequest.name(request.organizationName, option: "organization")
    let settings = try UsersSettings(settings: configuration.settings)
    let hasher = try await PasswordHasher.make(cost: settings.bcryptCost)
    // The password nobody knows until the reset token sets one.
    let unusableHash = try await hasher.hash(TokenIssuer.randomToken())

    let database = Database(settings: configuration.postgres, logger: logger)
    let accounts = AccountStore(logger: logger)
    let resets = PasswordResetStore(logger: logger)
    let events = EventRecorder(
        source: EventSource(service: configuration.serviceName, instance: configuration.instanceID),
        outbox: Outbox(schema: UsersMigrations.schema),
        logger: logger
    )
    let runner = try MigrationRunner(schema: UsersMigrations.schema, migrations: UsersMigrations.all)
    return try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { await database.client.run() }
        defer { group.cancelAll() }
        try await runner.run(on: database, logger: logger)
        return try await database.withTransaction { connection in
            // Two runs at once must not both create the organization.
            try await connection.query("SELECT pg_advisory_xact_lock(hashtext('users.create-admin'))", logger: logger)
            let named = try await accounts.organizations(named: organizationName, on: connection)
            let organization: Organization
            let user: UserAccount
            var createdOrganization = false
            var createdUser = false
            if let (existing, _) = try await accounts.credentials(email: email, on: connection) {
                guard let home = named.first(where: { $0.id == existing.organizationID }) else {
                    throw FirstAdminError.otherOrganization(email: existing.email, organization: organizationName)
                }
                guard existing.role == .admin else {
                    throw FirstAdminError.notAdmin(email: existing.email, organization: home.name)
                }
                guard existing.active else { throw FirstAdminError.deactivated(email: existing.email) }
                (organization, user) = (home, existing)
            } else {
                guard named.count <= 1 else {
                    throw FirstAdminError.ambiguousOrganization(name: organizationName, count: named.count)
                }
                if let found = named.first {
                    organization = found
                } else {
                    organization = try await accounts.createOrganization(name: organizationName, on: connection)
                    createdOrganization = true
                }
                user = try await accounts.createUser(
                    .init(
                        organizationID: organization.id,
                        email: email,
                        passwordHash: unusableHash,
                        role: .admin,
                        fullName: fullName
                    ),
                    on: connection
                )
                createdUser = true
                try await events.recordSystemEvent(
                    UserCreated(
                        email: user.email,
                        after: user.auditFields,
                        via: "create-admin",
                        organization: .init(id: organization.id, name: organization.name, created: createdOrganization)
                    ),
                    resource: EventResource(type: "user", id: user.id.wireString),
                    organizationID: organization.id,
                    on: connection
                )
            }
            let issued = try await resets.issue(userID: user.id, issuedBy: nil, on: connection)
            try await events.recordSystemEvent(
                PasswordResetIssued(
                    resetID: issued.id,
                    email: user.email,
                    expiresAt: issued.expiresAt,
                    via: "create-admin"
                ),
                resource: EventResource(type: "user", id: user.id.wireString),
                organizationID: organization.id,
                on: connection
            )
            return FirstAdmin(
                user: user,
                organization: organization,
                createdOrganization: createdOrganization,
                createdUser: createdUser,
                resetToken: issued.token,
                resetExpiresAt: issued.expiresAt
            )
        }
    }
}

extension FirstAdminRequest {
    /// A name option, trimmed: required, at most 200 characters, free text as every service takes it.
    static func name(_ text: String, option: String) throws(FirstAdminError) -> String {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else { throw .invalid(option: option, reason: "must not be empty") }
        guard trimmed.unicodeScalars.count <= 200 else {
            throw .invalid(option: option, reason: "must be at most 200 characters")
        }
        if let problem = FreeText.problem(in: trimmed, multiline: false) {
            throw .invalid(option: option, reason: problem)
        }
        return trimmed
    }
}

extension FirstAdminError {
    /// One line for any error of `users create-admin`: its own refusals as they are, and the platform's
    /// failures with where they happened (driver errors describe themselves vaguely on purpose).
    package static func line(for error: any Error, postgres: PostgresSettings) -> String {
        switch error {
        case let error as FirstAdminError:
            return error.description
        case let error as AccountError:
            return error.problem.detail ?? "\(error)"
        case is DatabaseUnavailable:
            return "cannot reach Postgres at \(postgres.host):\(postgres.port) (POSTGRES_HOST, POSTGRES_PORT)"
        case let error as PSQLError:
            let message = error.serverInfo?[.message].map { ": \($0)" } ?? ""
            return "Postgres at \(postgres.host):\(postgres.port) failed (\(error.code))\(message)"
        default:
            return "\(error)"
        }
    }
}
