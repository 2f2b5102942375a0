import Contracts
import HTTPTypes
import Hummingbird
import Logging

/// The outermost layer of every service: gives the request its id (echoed in `X-Request-ID` and present in
/// every log line), refuses bodies over the limit before reading them, abandons a request that runs past the
/// timeout with a 503, and records the request in the metrics.
///
/// It wraps the router's responder rather than being a middleware because the timeout must run the router in
/// a task of its own, and a middleware's `next` cannot leave the current task. Health and metrics requests skip
/// all of it: they must cost nothing.
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
            response = try await runWithTimeout(request, context: context)
        } catch {
            var (problem, headers) = ProblemMiddleware<Context>.describe(error, request: request, context: context)
            problem.requestID = context.requestID
            if problem.status == 500 {
                context.logger.error("request failed", metadata: ["error": "\(String(reflecting: error))"])
            } else if problem.status == 503 {
                context.logger.warning("request abandoned", metadata: ["error": "\(error)"])
            }
            response = ProblemResponse.make(problem, headers: headers)
        }
        response.headers[.requestID] = context.requestID
        let elapsed = ContinuousClock.now - start
        metrics.record(
            method: request.method,
            route: context.endpointPath ?? "unmatched",
            status: response.status.code,
            duration: elapsed
        )
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

    /// Runs the router in a task of its own, cancelled when it runs past the timeout: a handler's `next` cannot
    /// leave the current task, and cancelling this one would end the connection's. The task starts at once on
    /// this thread (`Task.immediate`), so a request that never suspends (a cache hit) finishes without a hop
    /// to another thread. A request that ran out of time answers 503 whatever its handler did once cancelled.
    private func runWithTimeout(_ request: Request, context: Context) async throws -> Response {
        let router = self.router
        let timeout = self.timeout
        let task = Task.immediate { try await router.respond(to: request, context: context) }
        let watch = RequestDeadlines.shared.watch(until: .now + timeout) { task.cancel() }
        let outcome: Result<Response, any Error>
        do {
            outcome = .success(
                try await withTaskCancellationHandler {
                    try await task.value
                } onCancel: {
                    task.cancel()
                }
            )
        } catch {
            outcome = .failure(error)
        }
        guard RequestDeadlines.shared.release(watch) else { throw APIError.timeout(timeout) }
        return try outcome.get()
    }
}
