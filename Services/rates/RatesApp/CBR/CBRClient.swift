import Foundation
import Logging
import ServiceKit

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Asks the Bank of Russia for daily sets over HTTP (`URLSession`): a bounded timeout, a real `User-Agent`,
/// and a few tries with exponential back-off and jitter. Every answer is checked to be a complete CBR document
/// before it is returned; each failed try is logged.
package struct CBRClient: Sendable {
    private let baseURL: URL
    private let session: URLSession
    private let userAgent: String
    private let timeout: Duration
    private let attempts: Int
    private let retryDelay: Duration
    private let logger: Logger

    package init(settings: RatesSettings, logger: Logger) {
        let configuration = URLSessionConfiguration.ephemeral
        let seconds = Double(settings.cbrTimeout.milliseconds) / 1000
        configuration.timeoutIntervalForRequest = seconds
        configuration.timeoutIntervalForResource = seconds
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        configuration.httpMaximumConnectionsPerHost = 2
        self.session = URLSession(configuration: configuration)
        self.baseURL = settings.cbrBaseURL
        self.userAgent = settings.cbrUserAgent
        self.timeout = settings.cbrTimeout
        self.attempts = settings.cbrAttempts
        self.retryDelay = settings.cbrRetryDelay
        self.logger = logger
    }

    /// The address of `XML_daily.asp` for `day` (`date_req=dd/mm/yyyy`).
    package func dailyURL(for day: CalendarDay) -> URL {
        let query = String(format: "date_req=%02d/%02d/%04d", day.day, day.month, day.year)
        return URL(string: "XML_daily.asp?" + query, relativeTo: baseURL)?.absoluteURL ?? baseURL
    }

    /// The set CBR answers for `day`: the latest set effective on or before it (CBR's own rule), so its
    /// `date` can be earlier than `day`. Throws the last ``CBRError`` when every try failed.
    package func daily(for day: CalendarDay) async throws -> CBRDailySet {
        let url = dailyURL(for: day)
        var attempt = 0
        while true {
            attempt += 1
            do {
                let set = try CBRDailyParser.parse(try await body(of: url))
                guard set.date <= day else { throw CBRError.unexpectedDate(requested: day, answered: set.date) }
                return set
            } catch let error as CBRError {
                logger.warning(
                    "CBR request failed",
                    metadata: [
                        "cbr.url": "\(url.absoluteString)", "cbr.attempt": "\(attempt)", "error": "\(error)",
                    ]
                )
                guard error.isRetryable, attempt < attempts else { throw error }
                try await Task.sleep(for: Backoff.delay(attempt: attempt, base: retryDelay, cap: retryDelay * 8))
            }
        }
    }

    /// The body of a `200` answer to `GET url`, or the failure as a ``CBRError``.
    private func body(of url: URL) async throws -> Data {
        var request = URLRequest(url: url, cachePolicy: .reloadIgnoringLocalCacheData)
        request.timeoutInterval = Double(timeout.milliseconds) / 1000
        request.setValue(userAgent, forHTTPHeaderField: "User-Agent")
        request.setValue("application/xml, text/xml;q=0.9", forHTTPHeaderField: "Accept")
        let data: Data
        let response: URLResponse
        do {
            (data, response) = try await session.data(for: request)
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            try Task.checkCancellation()
            throw CBRError.transport(Self.describe(error))
        }
        guard let http = response as? HTTPURLResponse else { throw CBRError.transport("not an HTTP answer") }
        guard http.statusCode == 200 else { throw CBRError.httpStatus(http.statusCode) }
        if let type = http.value(forHTTPHeaderField: "Content-Type")?.lowercased(), type.contains("html") {
            throw CBRError.notXML("an HTML page")
        }
        guard !data.isEmpty else { throw CBRError.emptyBody }
        return data
    }

    /// A one-line reason for a transport failure.
    private static func describe(_ error: any Error) -> String {
        let error = error as NSError
        if let reason = error.userInfo[NSLocalizedDescriptionKey] as? String { return reason }
        return "\(error.domain) \(error.code)"
    }
}
