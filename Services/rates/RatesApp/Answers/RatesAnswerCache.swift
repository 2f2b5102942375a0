import Foundation
import ServiceKit

/// A rendered rates answer: the exact JSON bytes, their `ETag` and how long they stay right.
struct CachedRatesAnswer: Codable, Sendable, Equatable {
    var rendered: RenderedJSON
    var etag: String
    var freshness: Freshness
}

/// The rates answers in ServiceKit's two-tier cache, rendered once and served as bytes: a hit costs no query
/// and no encoding. Every entry is under one tag, dropped in every replica whenever a set is stored or the
/// source's health changes; each entry also expires when its answer can next change.
struct RatesAnswerCache: Sendable {
    let cache: TwoTierCache<CachedRatesAnswer>
    static let tag = "rates"
    /// Answers that never change are still dropped from memory after an hour, to keep memory for live ones.
    static let longestLifetime: Duration = .seconds(3600)

    /// The cached answer for `key`, or `load`'s, rendered and cached until it can change.
    func answer<Body: Encodable & Sendable>(
        _ key: String,
        now: @escaping @Sendable () -> Date,
        load: @escaping @Sendable () async throws -> RatesAnswer<Body>
    ) async throws -> CachedRatesAnswer {
        try await cache.value(for: key, tag: Self.tag) {
            let answer = try await load()
            let body = try RatesResponse.encode(answer.body)
            let rendered = CachedRatesAnswer(
                rendered: RenderedJSON(bytes: body),
                etag: RatesResponse.etag(body),
                freshness: answer.freshness
            )
            return (rendered, Self.lifetime(answer.freshness, now: now()))
        }
    }

    /// Drops every cached answer, in every replica.
    func invalidate() async {
        await cache.invalidate(tags: [Self.tag])
    }

    static func lifetime(_ freshness: Freshness, now: Date) -> Duration {
        switch freshness {
        case .immutable:
            return longestLifetime
        case .until(let instant):
            let seconds = min(instant.timeIntervalSince(now), Double(longestLifetime.components.seconds))
            return .milliseconds(Int64(max(seconds, 0.001) * 1000))
        }
    }
}
