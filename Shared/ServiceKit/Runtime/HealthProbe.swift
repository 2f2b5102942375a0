import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// `<service> healthcheck`: asks the service running beside it (same `HTTP_HOST`/`HTTP_PORT` settings) for
/// `/health/ready` and succeeds only on 200. It is the container images' `HEALTHCHECK`, so that an image
/// needs no curl; a probe that gets no answer within its timeout fails rather than hangs.
package enum HealthProbe {
    /// Whether the service answers ready; `message` says what was seen, for the container's health log.
    package struct Outcome: Sendable, Equatable {
        package var ready: Bool
        package var message: String
    }

    /// Probes the service whose settings are `settings` (already scoped to it).
    package static func probe(
        settings: Settings,
        defaultPort: Int,
        timeout: Duration = .seconds(2)
    ) async -> Outcome {
        let port: Int
        do {
            port = try settings.int("HTTP_PORT", default: defaultPort, in: 1...65535)
        } catch {
            return Outcome(ready: false, message: "\(error)")
        }
        // A service listening on every address answers on loopback too.
        let configured = settings.string("HTTP_HOST", default: "127.0.0.1")
        let host = ["0.0.0.0", "::", ""].contains(configured) ? "127.0.0.1" : configured
        return await probe(host: host, port: port, timeout: timeout)
    }

    /// Sends `GET /health/ready` to `host:port` and reads the status line of the answer.
    package static func probe(host: String, port: Int, timeout: Duration) async -> Outcome {
        do {
            let status = try await withDeadline(timeout, waitingFor: "/health/ready on \(host):\(port)") {
                try await readyStatus(host: host, port: port, timeout: timeout)
            }
            return Outcome(ready: status == .ok, message: "/health/ready on \(host):\(port) answered \(status.code)")
        } catch {
            return Outcome(ready: false, message: "/health/ready on \(host):\(port) did not answer: \(error)")
        }
    }

    private static func readyStatus(host: String, port: Int, timeout: Duration) async throws -> HTTPResponseStatus {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(TimeAmount(timeout))
            .connect(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    return try NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>(
                        wrappingChannelSynchronously: channel
                    )
                }
            }
        return try await channel.executeThenClose { inbound, outbound in
            var head = HTTPRequestHead(version: .http1_1, method: .GET, uri: "/health/ready")
            head.headers.add(name: "Host", value: host)
            head.headers.add(name: "Connection", value: "close")
            try await outbound.write(.head(head))
            try await outbound.write(.end(nil))
            for try await part in inbound {
                if case .head(let response) = part { return response.status }
            }
            throw ProbeError.noAnswer
        }
    }

    private enum ProbeError: Error, CustomStringConvertible {
        case noAnswer
        var description: String { "the connection closed without an answer" }
    }
}
