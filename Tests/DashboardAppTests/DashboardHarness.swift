import Contracts
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import NIOFoundationEssentialsCompat
import ServiceKit
import TestSupport
import Testing

@testable import DashboardApp

/// Builds the dashboard against an isolated database and stream, and publishes events on that stream the
/// way the outbox relay does (`id`, `type`, `origin`, `envelope`).
struct DashboardHarness: ServiceHarness {
    let environment: IsolatedEnvironment
    let client: any TestClientProtocol
    let organization = UUID()

    static func with(_ body: @Sendable (DashboardHarness) async throws -> Void) async throws {
        try await TestService.run(
            DashboardService.name,
            overrides: { _ in ["DASHBOARD_FLUSH_INTERVAL": "10ms"] },
            build: { try await buildApplication(configuration: $0, logger: $1) }
        ) { environment, client in
            try await body(DashboardHarness(environment: environment, client: client))
        }
    }

    /// Publishes envelopes of `type` with `payload` for `organization` (this harness's by default), as the
    /// relay of `origin` would (by default the service that owns the type; nil leaves the origin out).
    func publish(
        _ type: String,
        _ payload: some Encodable,
        organization: UUID? = nil,
        occurredAt: Date = Date(),
        origin: String?? = .none
    ) async throws {
        let resource = type.split(separator: ".").first.map(String.init) ?? "thing"
        let envelope = EventEnvelope(
            type: type,
            occurredAt: occurredAt,
            source: EventSource(service: "quoting-core", instance: nil),
            organizationID: organization ?? self.organization,
            actor: nil,
            requestID: nil,
            resource: EventResource(type: resource, id: nil),
            action: .update,
            payload: try JSONValue(encoding: payload)
        )
        let body = try ContractJSON.makeEncoder().encode(envelope)
        let publisher = origin ?? EventOwnership.owner(of: type)
        _ = try await TestInfrastructure.withRedis { redis in
            try await redis.streamAdd(
                environment.stream,
                fields: [
                    StreamField("id", envelope.id.wireString), StreamField("type", type),
                    publisher.map { StreamField("origin", $0) }, StreamField("envelope", ByteBuffer(data: body)),
                ].compactMap { $0 }
            )
        }
    }

    func customer(_ id: String, version: Int64, deleted: Bool = false, createdAt: Date = Date()) async throws {
        try await publish(
            deleted ? "customer.deleted" : (version == 1 ? "customer.created" : "customer.updated"),
            CustomerEventPayload(
                id: id,
                name: "ООО Клиент \(id)",
                inn: "7707083893",
                createdAt: createdAt,
                version: version
            )
        )
    }

    func quote(
        _ id: String,
        version: Int64,
        status: QuoteStatus,
        amount: String,
        currency: String = "RUB",
        quoteDate: String,
        acceptedAt: Date? = nil,
        organization: UUID? = nil,
        type: String? = nil
    ) async throws {
        try await publish(
            type ?? (version == 1 ? "quote.created" : "quote.status_changed"),
            QuoteEventPayload(
                id: id,
                number: "КП-\(id)",
                customerID: "c1",
                managerID: "m1",
                status: status,
                totalAmount: amount,
                currency: currency,
                quoteDate: quoteDate,
                acceptedAt: acceptedAt,
                version: version
            ),
            organization: organization
        )
    }

    func token(organization: UUID? = nil) async throws -> String {
        try await TestTokens.bearer(
            Identity(
                userID: UUID(),
                organizationID: organization ?? self.organization,
                role: .manager,
                email: "m@example.ru"
            )
        )
    }

    func stats(organization: UUID? = nil) async throws -> DashboardStats {
        let token = try await self.token(organization: organization)
        return try await client.execute(uri: "/api/dashboard/stats", method: .get, headers: [.authorization: token]) {
            response in
            #expect(response.status == .ok, "\(response.text)")
            return try response.decode(DashboardStats.self)
        }
    }

    /// Waits until the stream's events are all applied (nothing pending or unread for the group).
    func settled() async throws {
        try await eventually("the dashboard consumed every event") {
            try await TestInfrastructure.withRedis { redis in
                let groups = try await redis.send(RedisCommand("XINFO", ["GROUPS", .string(environment.stream)]))
                guard let group = groups.array?.first?.array else { return false }
                var fields: [String: RESPValue] = [:]
                var index = 0
                while index + 1 < group.count {
                    if let name = group[index].string { fields[name] = group[index + 1] }
                    index += 2
                }
                return fields["pending"]?.int == 0 && (fields["lag"]?.int ?? 0) == 0
                    && fields["last-delivered-id"]?.string != "0-0"
            }
        }
    }
}
