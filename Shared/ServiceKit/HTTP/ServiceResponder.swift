import Contracts
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import NIOHTTPTypes

/// The outermost layer of every service: gives the request its id (echoed in `X-Request-ID` and present in
/// every log line), refuses bodies over the limit before reading them, abandons a request that runs past the
/// timeout with a 503, and records the request in the metrics.
///
/// It wraps the router's responder rather than being a middleware because the timeout answers on the
/// connection itself (see ``RequestTimeout``), which the response of a middleware cannot. Health and metrics
/// requests skip all of it: they must cost nothing.
package struct ServiceResponder<Context: ServiceContext>: HTTPResponder {
    private let router: RouterResponder<Context>
    private let timeout: Duration
    private let maxBodySize: Int
    private let trustedProxies: [IPNetwork]
    private let metrics: HTTPMetrics

    package init(router: RouterResponder<Context>, settings: HTTPSettings, metrics: HTTPMetrics) {
        self.router = router
        self.timeout = settings.requestTimeout
        self.maxBodySize = settings.maxBodySize
        self.trustedProxies = settings.trustedProxies
        self.metrics = metrics
    }

    package func respond(to request: Request, context: Context) async throws -> Response {
        if HealthRoutes.isOperational(request.uri.path) {
            return try await router.respond(to: request, context: context)
        }
        let start = ContinuousClock.now
        var context = context
        context.requestID = RequestID.resolve(request.headers[.requestID])
        context.bodyLimit = maxBodySize
        context.clientIP = ClientAddress.resolve(
            peer: context.remoteAddress,
            forwardedFor: request.headers[.xForwardedFor],
            trusted: trustedProxies
        )
        context.userAgent = request.headers[.userAgent].map { String($0.prefix(1000)) }

        var response: Response
        do {
            if let length = request.headers[.contentLength].flatMap(Int.init), length > maxBodySize {
                throw APIError.contentTooLarge(limit: maxBodySize)
            }
            response = try await respondInTime(request, context: context)
        } catch {
            response = ProblemMiddleware<Context>.answer(error, request: request, context: context)
        }
        // Appended, not set: nothing else writes it, and setting searches every field first.
        response.headers.append(HTTPField(name: .requestID, value: context.requestID))
        let elapsed = ContinuousClock.now - start
        let (metrics, method, route, status) = (
            self.metrics, request.method, context.endpointPath ?? "unmatched", response.status.code
        )
        if response.body.contentLength == nil {
            // A streamed body (a CSV export) is timed to its last byte, not to its head.
            let body = response.body
            response.body = ResponseBody { writer in
                defer { metrics.record(method: method, route: route, status: status, duration: .now - start) }
                try await body.write(writer)
            }
        } else {
            metrics.record(method: method, route: route, status: status, duration: elapsed)
        }
        guard context.logLevel <= .debug else { return response }
        context.logger.debug(
            "request",
            metadata: [
                "http.method": "\(request.method.rawValue)", "http.path": "\(request.uri.path)",
                "http.status": "\(response.status.code)", "http.duration_ms": "\(elapsed.milliseconds)",
            ]
        )
        return response
    }

    /// Runs the router in the connection's own task, watched by ``RequestDeadlines``: past the timeout the
    /// client gets its 503 on the connection at once, whatever the handler is doing, and the task is cancelled so
    /// the handler stops. A request that ran out of time throws ``APIError/timeout(_:)`` here, to be logged and
    /// counted; its answer has already gone out.
    private func respondInTime(_ request: Request, context: Context) async throws -> Response {
        let channel = context.channel
        let requestID = context.requestID
        let timeout = self.timeout
        let withBody = request.method != .head
        let watch = RequestDeadlines.shared.watch(until: .now + timeout) {
            RequestTimeout.send(
                RequestTimeout.answer(requestID: requestID, timeout: timeout, withBody: withBody),
                on: channel
            )
        }
        let outcome: Result<Response, any Error>
        do {
            outcome = .success(try await router.respond(to: request, context: context))
        } catch {
            outcome = .failure(error)
        }
        guard RequestDeadlines.shared.release(watch) else { throw APIError.timeout(timeout) }
        return try outcome.get()
    }
}

/// The 503 for a request past its timeout, written straight to its connection (which then closes): the
/// connection's task is cancelled, so the usual response path can no longer write.
enum RequestTimeout {
    /// The parts of the answer: a problem with `Retry-After` and the request id, and `Connection: close`.
    static func answer(requestID: String, timeout: Duration, withBody: Bool) -> [HTTPResponsePart] {
        let error = APIError.timeout(timeout)
        var problem = error.problem
        problem.requestID = requestID
        let body = ProblemResponse.body(problem)
        var fields = error.problemHeaders
        fields[.contentType] = Problem.mediaType
        fields[.requestID] = requestID
        fields[.connection] = "close"
        fields[.contentLength] = String(body.readableBytes)
        let head = HTTPResponsePart.head(HTTPResponse(status: .serviceUnavailable, headerFields: fields))
        return withBody ? [head, .body(body), .end(nil)] : [head, .end(nil)]
    }

    /// Writes `parts` on `channel` and closes it once they are out. Returns at once (the sweeper's lock is held).
    static func send(_ parts: [HTTPResponsePart], on channel: any Channel) {
        for part in parts.dropLast() { channel.write(part, promise: nil) }
        let flushed = channel.eventLoop.makePromise(of: Void.self)
        channel.writeAndFlush(parts.last ?? .end(nil), promise: flushed)
        flushed.futureResult.whenComplete { _ in channel.close(promise: nil) }
    }
}
