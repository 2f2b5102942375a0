import Contracts
import Foundation
import Logging
import PostgresNIO
import ServiceKit

/// Why an account change was refused.
enum AccountError: ProblemReporting, Equatable {
    case emailTaken
    case lastAdmin
    case userNotFound

    var problem: Problem {
        switch self {
        case .emailTaken:
            Problem(
                type: "urn:quoting:problem:email-taken",
                title: "Conflict",
                status: 409,
                detail: "an account with this email already exists"
            )
        case .lastAdmin:
            Problem(
                type: "urn:quoting:problem:last-admin",
                title: "Conflict",
                status: 409,
                detail: "this is the organization's last active admin: make another user admin first"
            )
        case .userNotFound:
            Problem(title: "Not Found", status: 404, detail: "there is no user with this id in your organization")
        }
    }
}

/// The users, organizations and their SQL. Every read of a user is scoped by organization.
struct AccountStore: Sendable {
    let logger: Logger

    // MARK: - Organizations

    func createOrganization(name: String, on connection: PostgresConnection) async throws -> Organization {
        let id = UUID()
        let rows = try await connection.query(
            """
            INSERT INTO users.organizations (id, name) VALUES (\(id), \(name))
            RETURNING \(unescaped: Self.organizationColumns)
            """,
            logger: logger
        )
        return try await Self.single(rows, Self.decodeOrganization)
    }

    func organization(
        _ id: UUID,
        on connection: PostgresConnection,
        forUpdate: Bool = false
    ) async throws -> Organization? {
        let rows = try await connection.query(
            """
            SELECT \(unescaped: Self.organizationColumns) FROM users.organizations WHERE id = \(id)
            \(unescaped: forUpdate ? "FOR UPDATE" : "")
            """,
            logger: logger
        )
        for try await row in rows { return try Self.decodeOrganization(row) }
        return nil
    }

    /// The organizations named exactly `name` (names are not unique), oldest first.
    func organizations(named name: String, on connection: PostgresConnection) async throws -> [Organization] {
        let rows = try await connection.query(
            """
            SELECT \(unescaped: Self.organizationColumns) FROM users.organizations WHERE name = \(name)
            ORDER BY created_at, id
            """,
            logger: logger
        )
        var found: [Organization] = []
        for try await row in rows { found.append(try Self.decodeOrganization(row)) }
        return found
    }

    func update(_ organization: Organization, on connection: PostgresConnection) async throws -> Organization {
        let rows = try await connection.query(
            """
            UPDATE users.organizations SET name = \(organization.name), legal_name = \(organization.legalName),
                inn = \(organization.inn), kpp = \(organization.kpp), address = \(organization.address),
                phone = \(organization.phone), email = \(organization.email), website = \(organization.website),
                updated_at = now()
            WHERE id = \(organization.id)
            RETURNING \(unescaped: Self.organizationColumns)
            """,
            logger: logger
        )
        return try await Self.single(rows, Self.decodeOrganization)
    }

    // MARK: - Users

    struct NewUser: Sendable {
        var organizationID: UUID
        var email: String
        var passwordHash: String
        var role: Role
        var fullName: String
        var position: String?
        var phone: String?
    }

    func createUser(_ user: NewUser, on connection: PostgresConnection) async throws -> UserAccount {
        do {
            let rows = try await connection.query(
                """
                INSERT INTO users.users (id, organization_id, email, password_hash, role, full_name, position, phone)
                VALUES (\(UUID()), \(user.organizationID), \(user.email), \(user.passwordHash), \(user.role.rawValue),
                    \(user.fullName), \(user.position), \(user.phone))
                RETURNING \(unescaped: Self.userColumns)
                """,
                logger: logger
            )
            return try await Self.single(rows, Self.decodeUser)
        } catch let error as PSQLError where error.sqlState == SQLState.uniqueViolation {
            throw AccountError.emailTaken
        }
    }

    /// The account and password hash for a login email, case-insensitively.
    func credentials(email: String, on connection: PostgresConnection) async throws -> (UserAccount, String)? {
        let rows = try await connection.query(
            "SELECT \(unescaped: Self.userColumns), password_hash FROM users.users WHERE lower(email) = lower(\(email))",
            logger: logger
        )
        for try await row in rows {
            let hash = try row.makeRandomAccess()["password_hash"].decode(String.self)
            return (try Self.decodeUser(row), hash)
        }
        return nil
    }

    /// The account and password hash of a signed-in user, for checking their current password.
    func credentials(
        userID: UUID,
        organizationID: UUID,
        on connection: PostgresConnection
    ) async throws -> (UserAccount, String)? {
        let rows = try await connection.query(
            """
            SELECT \(unescaped: Self.userColumns), password_hash FROM users.users
            WHERE id = \(userID) AND organization_id = \(organizationID)
            """,
            logger: logger
        )
        for try await row in rows {
            let hash = try row.makeRandomAccess()["password_hash"].decode(String.self)
            return (try Self.decodeUser(row), hash)
        }
        return nil
    }

    /// Replaces the password hash of `userID`; with `expected`, only if the stored hash is still that one (a
    /// change checked against a password that another request has replaced meanwhile does nothing). Returns
    /// whether it was replaced.
    func setPassword(
        _ userID: UUID,
        hash: String,
        expected: String? = nil,
        on connection: PostgresConnection
    ) async throws -> Bool {
        let rows = try await connection.query(
            """
            UPDATE users.users SET password_hash = \(hash), updated_at = now()
            WHERE id = \(userID) AND (\(expected)::text IS NULL OR password_hash = \(expected))
            RETURNING id
            """,
            logger: logger
        )
        for try await _ in rows { return true }
        return false
    }

    func user(
        _ id: UUID,
        organizationID: UUID,
        on connection: PostgresConnection,
        forUpdate: Bool = false
    ) async throws -> UserAccount? {
        let rows = try await connection.query(
            """
            SELECT \(unescaped: Self.userColumns) FROM users.users
            WHERE id = \(id) AND organization_id = \(organizationID)
            \(unescaped: forUpdate ? "FOR UPDATE" : "")
            """,
            logger: logger
        )
        for try await row in rows { return try Self.decodeUser(row) }
        return nil
    }

    /// A page of the organization's users, oldest first, with the total and the cursor of the next page
    /// (after `page.cursor` when it has one, else by number).
    func users(
        organizationID: UUID,
        page: PageRequest,
        on connection: PostgresConnection
    ) async throws -> ListPage<UserAccount> {
        var items: [UserAccount] = []
        let rows: PostgresRowSequence
        if let cursor = page.cursor {
            rows = try await connection.query(
                """
                SELECT \(unescaped: Self.userColumns) FROM users.users WHERE organization_id = \(organizationID)
                    AND (created_at, id) > (timestamptz 'epoch' + \(cursor.microseconds) * interval '1 microsecond',
                        \(cursor.id))
                ORDER BY created_at, id LIMIT \(page.perPage + 1)
                """,
                logger: logger
            )
        } else {
            rows = try await connection.query(
                """
                SELECT \(unescaped: Self.userColumns) FROM users.users WHERE organization_id = \(organizationID)
                ORDER BY created_at, id LIMIT \(page.perPage + 1) OFFSET \(page.offset)
                """,
                logger: logger
            )
        }
        for try await row in rows { items.append(try Self.decodeUser(row)) }
        let more = items.count > page.perPage
        items = Array(items.prefix(page.perPage))
        var total = 0
        let count = try await connection.query(
            "SELECT count(*)::int FROM users.users WHERE organization_id = \(organizationID)",
            logger: logger
        )
        for try await value in count.decode(Int.self) { total = value }
        let next = more ? items.last.map { PageCursor(time: $0.createdAt, id: $0.id).text } : nil
        return ListPage(items: items, page: page.page, perPage: page.perPage, total: total, nextCursor: next)
    }

    /// Saves the profile and account fields of `user` (not email or password).
    func update(_ user: UserAccount, on connection: PostgresConnection) async throws -> UserAccount {
        let rows = try await connection.query(
            """
            UPDATE users.users SET full_name = \(user.fullName), position = \(user.position), phone = \(user.phone),
                contact_email = \(user.contactEmail), role = \(user.role.rawValue), active = \(user.active),
                updated_at = now()
            WHERE id = \(user.id) AND organization_id = \(user.organizationID)
            RETURNING \(unescaped: Self.userColumns)
            """,
            logger: logger
        )
        return try await Self.single(rows, Self.decodeUser)
    }

    func recordLogin(_ userID: UUID, on connection: PostgresConnection) async throws {
        try await connection.query("UPDATE users.users SET last_login_at = now() WHERE id = \(userID)", logger: logger)
    }

    /// Checks, against the database rather than the token, that the caller is still an active admin: a
    /// demoted or deactivated admin's access token stays valid until it expires, but not for admin work here.
    func requireActiveAdmin(_ identity: Identity, on connection: PostgresConnection) async throws {
        guard let caller = try await user(identity.userID, organizationID: identity.organizationID, on: connection),
            caller.active, caller.role == .admin
        else { throw APIError.forbidden("this endpoint is for the admin role") }
    }

    /// Locks the organization's active admins and returns how many there are, so that two admins demoting
    /// each other at once cannot leave none.
    func lockActiveAdmins(organizationID: UUID, on connection: PostgresConnection) async throws -> Int {
        let rows = try await connection.query(
            """
            SELECT id FROM users.users WHERE organization_id = \(organizationID) AND role = 'admin' AND active
            FOR UPDATE
            """,
            logger: logger
        )
        var count = 0
        for try await _ in rows { count += 1 }
        return count
    }

    // MARK: - Rows

    static let userColumns =
        "id, organization_id, email, role, active, full_name, position, phone, contact_email, created_at, updated_at, last_login_at"
    static let organizationColumns =
        "id, name, legal_name, inn, kpp, address, phone, email, website, created_at, updated_at"

    static func decodeUser(_ row: PostgresRow) throws -> UserAccount {
        let (
            id, organizationID, email, role, active, fullName, position, phone, contactEmail, created, updated,
            lastLogin
        ) =
            try row.decode(
                (UUID, UUID, String, String, Bool, String, String?, String?, String?, Date, Date, Date?).self
            )
        return UserAccount(
            id: id,
            organizationID: organizationID,
            email: email,
            role: Role(rawValue: role) ?? .manager,
            active: active,
            fullName: fullName,
            position: position,
            phone: phone,
            contactEmail: contactEmail,
            createdAt: created,
            updatedAt: updated,
            lastLoginAt: lastLogin
        )
    }

    static func decodeOrganization(_ row: PostgresRow) throws -> Organization {
        let (id, name, legalName, inn, kpp, address, phone, email, website, created, updated) =
            try row.decode(
                (UUID, String, String?, String?, String?, String?, String?, String?, String?, Date, Date).self
            )
        return Organization(
            id: id,
            name: name,
            legalName: legalName,
            inn: inn,
            kpp: kpp,
            address: address,
            phone: phone,
            email: email,
            website: website,
            createdAt: created,
            updatedAt: updated
        )
    }

    private static func single<T>(_ rows: PostgresRowSequence, _ decode: (PostgresRow) throws -> T) async throws -> T {
        for try await row in rows { return try decode(row) }
        throw AccountError.userNotFound
    }
}

extension UserAccount {
    /// The identity the user's access tokens carry.
    var identity: Identity {
        Identity(userID: id, organizationID: organizationID, role: role, email: email)
    }

    /// The fields an event may show (no secrets), for before/after change sets.
    var auditFields: [String: JSONValue] {
        [
            "full_name": .string(fullName), "position": JSONValue(position), "phone": JSONValue(phone),
            "contact_email": JSONValue(contactEmail), "role": .string(role.rawValue), "active": .bool(active),
        ]
    }
}

extension Organization {
    /// The fields an event may show, for before/after change sets.
    var auditFields: [String: JSONValue] {
        [
            "name": .string(name), "legal_name": JSONValue(legalName), "inn": JSONValue(inn), "kpp": JSONValue(kpp),
            "address": JSONValue(address), "phone": JSONValue(phone), "email": JSONValue(email),
            "website": JSONValue(website),
        ]
    }
}
