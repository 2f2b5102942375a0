import Contracts
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import ServiceKit

/// What every service's test harness shares: the service built on an isolated database and Redis prefix and
/// driven through a test client (``TestService/run(_:overrides:setup:build:_:)``), calls with JSON bodies and a
/// bearer token, and tokens for any caller (`TestTokens.bearer(user:role:organization:)`). Each service's
/// harness conforms and adds only what is its own (its people, its fixtures, its reads).
package protocol ServiceHarness: Sendable {
    /// The client of the service under test.
    var client: any TestClientProtocol { get }
}

extension ServiceHarness {
    /// Sends `method path` with the raw JSON `json`, the access token `token` (with or without its `Bearer `)
    /// and `headers`.
    package func call(
        _ method: HTTPRequest.Method,
        _ path: String,
        json: String? = nil,
        token: String? = nil,
        headers: HTTPFields = [:]
    ) async throws -> TestResponse {
        var fields: HTTPFields = [.contentType: "application/json"]
        fields.append(contentsOf: headers)
        if let token { fields[.authorization] = token.hasPrefix("Bearer ") ? token : "Bearer \(token)" }
        return try await client.execute(
            uri: path,
            method: method,
            headers: fields,
            body: json.map { ByteBuffer(string: $0) }
        )
    }

    /// Sends `method path` with `body` encoded as the contracts encode it.
    package func call(
        _ method: HTTPRequest.Method,
        _ path: String,
        body: some Encodable,
        token: String? = nil,
        headers: HTTPFields = [:]
    ) async throws -> TestResponse {
        let json = String(decoding: try ContractJSON.makeEncoder().encode(body), as: UTF8.self)
        return try await call(method, path, json: json, token: token, headers: headers)
    }
}

extension TestTokens {
    /// A bearer header value for `user` with `role` in `organization`, with an email of its own.
    package static func bearer(user: UUID, role: Role, organization: UUID) async throws -> String {
        try await bearer(
            Identity(
                userID: user,
                organizationID: organization,
                role: role,
                email: "\(role.rawValue).\(user.uuidString.prefix(8).lowercased())@example.ru"
            )
        )
    }
}

/// Runs a service under test, the one way every harness does.
package enum TestService {
    /// Builds `service` with `build` on an isolated environment, with the settings `overrides` gives for it,
    /// and runs `body` with the environment and a client: in process (`.router`) or over a real socket
    /// (`.live`, where `X-Forwarded-For` from loopback sets the client address).
    package static func run<App: ApplicationProtocol>(
        _ service: String,
        overrides: @Sendable (IsolatedEnvironment) -> [String: String] = { _ in [:] },
        setup: TestingSetup = .router,
        build: @Sendable (ServiceConfiguration, Logger) async throws -> App,
        _ body: @Sendable (IsolatedEnvironment, any TestClientProtocol) async throws -> Void
    ) async throws {
        try await IsolatedEnvironment.with { environment in
            let configuration = try TestInfrastructure.configuration(
                service: service,
                environment.overrides.merging(overrides(environment)) { _, new in new }
            )
            let app = try await build(configuration, TestInfrastructure.logger(service))
            try await app.test(setup) { client in try await body(environment, client) }
        }
    }
}
