/// Everything that can go wrong talking to Redis, typed so callers can fall back (the rate limiter) or retry
/// (the outbox relay) on transport failures while treating server errors as bugs.
package enum RedisError: Error, Equatable, CustomStringConvertible {
    /// No connection could be made (refused, unreachable, auth failed); the client backs off before retrying.
    case connectionFailed(String)
    /// The connection dropped before the reply arrived; the command may or may not have run.
    case connectionClosed
    /// No reply within the command timeout; the connection is reset.
    case timeout
    /// Redis answered with an error reply (`ERR …`, `WRONGTYPE …`, `NOSCRIPT …`).
    case server(String)
    /// The reply did not have the shape the command promises.
    case unexpectedReply(String)
    /// The bytes from the server are not RESP.
    case protocolError(String)
    /// The client has been shut down.
    case shutdown

    /// Whether the failure is about reaching Redis (so a fallback applies), not about the command itself.
    package var isTransportFailure: Bool {
        switch self {
        case .connectionFailed, .connectionClosed, .timeout, .protocolError, .shutdown: true
        case .server, .unexpectedReply: false
        }
    }

    package var description: String {
        switch self {
        case .connectionFailed(let reason): "cannot connect to Redis: \(reason)"
        case .connectionClosed: "the Redis connection closed before the reply"
        case .timeout: "Redis did not reply in time"
        case .server(let message): "Redis error: \(message)"
        case .unexpectedReply(let detail): "unexpected Redis reply: \(detail)"
        case .protocolError(let detail): "Redis protocol error: \(detail)"
        case .shutdown: "the Redis client is shut down"
        }
    }
}
