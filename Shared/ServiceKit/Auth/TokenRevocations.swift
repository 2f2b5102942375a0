import Contracts
import Foundation
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

/// Per-user "not before" times: an access token of a user issued before that user's time is refused.
///
/// The users service sets a user's time when their tokens must die (demotion, deactivation, password change
/// or reset, logout everywhere) in one Redis hash and announces it on a pub/sub channel. Every replica of every
/// service keeps a copy of the hash in memory, so the check costs a dictionary lookup and no round trip: it
/// loads the hash once its subscription is in place (so no announcement falls between the two), applies each
/// announcement as it arrives, and loads the hash again after a reconnection, when announcements may have
/// been missed. Entries older than an access token's lifetime stop mattering and are dropped.
package final class TokenRevocations: Service, Sendable {
    /// The Redis hash: user id → not-before time in milliseconds since the epoch.
    package static let key = "auth:not-before"
    /// The channel announcing `<user id> <milliseconds>` for each revocation.
    package static let channel = "auth.revocations"

    private struct State {
        var notBefore: [UUID: Double] = [:]
        var loaded = false

        /// Drops times so old that every token issued before them has expired anyway.
        mutating func dropExpired(keepFor: Duration) {
            let oldest = (Date().timeIntervalSince1970 - Double(keepFor.components.seconds)) * 1000
            guard notBefore.values.contains(where: { $0 < oldest }) else { return }
            notBefore = notBefore.filter { $0.value >= oldest }
        }
    }

    private let redis: RedisClient
    private let keepFor: Duration
    private let logger: Logger
    private let state = Mutex(State())

    /// Revocations through `redis`; `keepFor` is how long one matters (an access token's lifetime and leeway).
    package init(redis: RedisClient, keepFor: Duration, logger: Logger) {
        self.redis = redis
        self.keepFor = keepFor
        self.logger = logger
    }

    /// Whether a token of `userID` issued at `issuedAt` has been revoked.
    package func isRevoked(_ userID: UUID, issuedAt: Date) -> Bool {
        guard let notBefore = state.withLock({ $0.notBefore[userID] }) else { return false }
        return issuedAt.timeIntervalSince1970 * 1000 < notBefore
    }

    /// Whether this replica has read the revocations at least once (readiness waits for it: before that, it
    /// would accept tokens that were revoked).
    package var isLoaded: Bool { state.withLock { $0.loaded } }

    /// Revokes every access token of `userID` issued before now, in Redis and in every replica. Throws when
    /// Redis cannot be reached: the caller must then not report the change as done.
    package func revokeTokens(of userID: UUID, at time: Date = Date()) async throws {
        let milliseconds = (time.timeIntervalSince1970 * 1000).rounded(.up)
        let user = userID.wireString
        let replies = try await redis.pipeline([
            RedisCommand("HSET", [.string(Self.key), .string(user), .string(String(Int64(milliseconds)))]),
            RedisCommand("PUBLISH", [.string(Self.channel), .string("\(user) \(Int64(milliseconds))")]),
        ])
        for reply in replies { _ = try reply.get() }
        apply(userID, milliseconds)
    }

    /// Keeps the copy current until shutdown.
    package func run() async throws {
        try await redis.withSubscription(to: [Self.channel], logger: logger) { subscription in
            for await event in subscription.cancelOnGracefulShutdown() {
                switch event {
                case .subscribed, .resubscribed:
                    await reload()
                case .message(_, let payload):
                    let parts = String(buffer: payload).split(separator: " ")
                    guard parts.count == 2, let user = UUID(uuidString: String(parts[0])),
                        let milliseconds = Double(parts[1])
                    else {
                        logger.warning("ignoring a malformed token revocation")
                        continue
                    }
                    apply(user, milliseconds)
                }
            }
        }
    }

    /// Reads the whole hash, retrying until it succeeds (or shutdown): until then this replica is not ready.
    private func reload() async {
        var attempt = 0
        while !Task.isCancelled {
            do {
                let reply = try await redis.send(RedisCommand("HGETALL", [.string(Self.key)]))
                var entries: [UUID: Double] = [:]
                let values = reply.array ?? []
                for index in stride(from: 0, to: values.count - 1, by: 2) {
                    if let user = values[index].string.flatMap(UUID.init(uuidString:)),
                        let milliseconds = values[index + 1].string.flatMap(Double.init)
                    {
                        entries[user] = milliseconds
                    }
                }
                state.withLock { state in
                    state.notBefore = entries
                    state.loaded = true
                    state.dropExpired(keepFor: keepFor)
                }
                return
            } catch {
                attempt += 1
                if attempt == 1 { logger.warning("cannot read token revocations", metadata: ["error": "\(error)"]) }
                try? await Task.sleep(for: Backoff.delay(attempt: attempt, base: .milliseconds(100), cap: .seconds(5)))
            }
        }
    }

    private func apply(_ userID: UUID, _ milliseconds: Double) {
        state.withLock { state in
            state.notBefore[userID] = max(state.notBefore[userID] ?? 0, milliseconds)
            state.dropExpired(keepFor: keepFor)
        }
    }
}
