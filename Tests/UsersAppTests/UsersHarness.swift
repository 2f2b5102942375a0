import Contracts
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import ServiceKit
import TestSupport
import Testing

@testable import UsersApp

/// The users service against an isolated database and stream, with a cheap bcrypt cost, plus helpers to
/// call it and read the events it published.
struct UsersHarness: ServiceHarness {
    let environment: IsolatedEnvironment
    let client: any TestClientProtocol

    /// Runs `body` against the service built with `overrides` and `clock`, in process (`.router`) or over a real
    /// socket (`.live`, where `X-Forwarded-For` from loopback sets the client address).
    static func with(
        _ overrides: [String: String] = [:],
        setup: TestingSetup = .router,
        clock: any WallClock = SystemWallClock(),
        _ body: @Sendable (UsersHarness) async throws -> Void
    ) async throws {
        let settings = ["USERS_BCRYPT_COST": "4", "OUTBOX_POLL_INTERVAL": "20ms"].merging(overrides) { _, new in new }
        try await TestService.run(
            UsersService.name,
            overrides: { _ in settings },
            setup: setup,
            build: { try await buildApplication(configuration: $0, logger: $1, clock: clock) }
        ) {
            environment,
            client in
            try await body(UsersHarness(environment: environment, client: client))
        }
    }

    /// The configuration the service under test was built with (its database, streams and overrides).
    func configuration(_ overrides: [String: String] = [:]) throws -> ServiceConfiguration {
        try TestInfrastructure.configuration(
            service: UsersService.name,
            environment.overrides.merging(["USERS_BCRYPT_COST": "4"]) { _, new in new }
                .merging(overrides) { _, new in new }
        )
    }

    /// Registers a new organization with its admin.
    func register(
        organization: String = "ООО Ромашка",
        name: String = "Анна Петрова",
        email: String = "anna.\(UUID().uuidString.prefix(8))@example.ru",
        password: String = "correct horse battery"
    ) async throws -> RegistrationResponse {
        let response = try await call(
            .post,
            "/api/auth/register",
            body: RegisterRequest(organizationName: organization, fullName: name, email: email, password: password)
        )
        #expect(response.status == .created, "\(response.text)")
        return try response.decode(RegistrationResponse.self)
    }

    /// Creates a user in the admin's organization and logs them in.
    func createUser(
        admin: String,
        role: Role = .manager,
        password: String = "initial password"
    ) async throws -> (UserAccount, TokenResponse) {
        let email = "user.\(UUID().uuidString.prefix(8))@example.ru"
        let created = try await call(
            .post,
            "/api/users",
            body: CreateUserRequest(email: email, fullName: "Иван Сидоров", role: role, password: password),
            token: admin
        )
        #expect(created.status == .created, "\(created.text)")
        let user = try created.decode(UserAccount.self)
        let login = try await call(.post, "/api/auth/login", body: LoginRequest(email: email, password: password))
        #expect(login.status == .ok, "\(login.text)")
        return (user, try login.decode(TokenResponse.self))
    }

    /// Every event the service has published so far, as JSON text and decoded.
    func events() async throws -> [(json: String, envelope: EventEnvelope)] {
        try await TestInfrastructure.withRedis { redis in
            try await redis.streamRange(environment.stream).compactMap { entry in
                guard let body = entry[field: "envelope"] else { return nil }
                let json = String(buffer: body)
                return (json, try ContractJSON.makeDecoder().decode(EventEnvelope.self, from: Data(json.utf8)))
            }
        }
    }

    /// Waits for an event of `type` and returns it.
    func event(
        _ type: String,
        where matches: @Sendable (EventEnvelope) -> Bool = { _ in true }
    ) async throws -> EventEnvelope {
        var found: EventEnvelope?
        try await eventually("a \(type) event") {
            found = try await events().map(\.envelope).last { $0.type == type && matches($0) }
            return found != nil
        }
        return try #require(found)
    }
}

extension RefreshRequest {
    /// Presents the refresh token a body-mode answer carried (an empty one, refused, if it carried none).
    init(refreshToken: String?) {
        self.init(refreshToken: refreshToken ?? "")
    }
}
