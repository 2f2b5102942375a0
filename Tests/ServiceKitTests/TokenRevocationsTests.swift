import Contracts
import Foundation
import ServiceKit
import ServiceLifecycle
import TestSupport
import Testing

/// Revocations reach every replica through Redis: the one that revokes, the ones running, and the ones that
/// start later.
@Suite("Token revocations")
struct TokenRevocationsTests {
    static func identity() -> Identity {
        Identity(userID: UUID(), organizationID: UUID(), role: .admin, email: "a@example.ru")
    }

    /// Runs `body` with `count` replicas' revocation copies, each running as its service would.
    static func withReplicas<Result: Sendable>(
        _ count: Int,
        _ body: @Sendable ([TokenRevocations]) async throws -> Result
    ) async throws -> Result {
        try await TestInfrastructure.withRedis { redis in
            let replicas = (0..<count).map { _ in
                TokenRevocations(redis: redis, keepFor: .seconds(960), logger: TestInfrastructure.logger("revocations"))
            }
            return try await withRunningServices(replicas) {
                try await eventually("every replica has read the revocations") { replicas.allSatisfy(\.isLoaded) }
                return try await body(replicas)
            }
        }
    }

    @Test("a revocation made by one replica refuses the user's older tokens in another")
    func reachesOtherReplicas() async throws {
        try await Self.withReplicas(2) { replicas in
            let identity = Self.identity()
            let signer = await AccessTokenSigner(key: TestKeys.signing, settings: TestKeys.settings)
            let verifier = await AccessTokenVerifier(settings: TestKeys.settings, revocations: replicas[1])
            let old = try await signer.sign(identity, issuedAt: Date().addingTimeInterval(-1))
            #expect(try await verifier.verify(old) == identity)

            // Pub/sub brings it in milliseconds; the wait allows for a loaded machine (how fast is not a test's
            // to time).
            let issuedBefore = Date().addingTimeInterval(-1)
            try await replicas[0].revokeTokens(of: identity.userID)
            try await eventually(timeout: .seconds(10), "the other replica heard of the revocation") {
                replicas[1].isRevoked(identity.userID, issuedAt: issuedBefore)
            }
            await #expect(throws: TokenRejection.revoked) { try await verifier.verify(old) }

            let fresh = try await signer.sign(identity, issuedAt: Date().addingTimeInterval(0.01))
            #expect(try await verifier.verify(fresh) == identity)
            let someoneElse = Self.identity()
            #expect(try await verifier.verify(try await signer.sign(someoneElse)) == someoneElse)
        }
    }

    @Test("a replica that starts after a revocation reads it before it is ready")
    func laterReplicaLoads() async throws {
        let identity = Self.identity()
        // A token issued before the revocation, however long the second replica takes to start.
        let issuedBefore = Date().addingTimeInterval(-5)
        try await Self.withReplicas(1) { replicas in
            try await replicas[0].revokeTokens(of: identity.userID)
        }
        try await Self.withReplicas(1) { replicas in
            #expect(replicas[0].isRevoked(identity.userID, issuedAt: issuedBefore))
            #expect(!replicas[0].isRevoked(identity.userID, issuedAt: Date().addingTimeInterval(5)))
        }
    }

    @Test("a revocation older than a token's lifetime no longer matters and is dropped")
    func oldRevocationsDropped() async throws {
        try await Self.withReplicas(1) { replicas in
            let identity = Self.identity()
            try await replicas[0].revokeTokens(of: identity.userID, at: Date().addingTimeInterval(-3600))
            #expect(!replicas[0].isRevoked(identity.userID, issuedAt: Date().addingTimeInterval(-3601)))
        }
    }
}
