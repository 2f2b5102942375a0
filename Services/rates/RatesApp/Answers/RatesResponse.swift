import Contracts
import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import NIOFoundationEssentialsCompat
import ServiceKit

/// Renders rates answers with HTTP caching: a strong `ETag` over the body (keys sorted, so every replica
/// computes the same one), `Cache-Control` from the answer's freshness, and `304 Not Modified` when the
/// caller's `If-None-Match` already names the body.
enum RatesResponse {
    /// `max-age` of an answer that can never change (a past day whose set is final): one year.
    static let immutableMaxAge = 31_536_000

    /// The rendered answer, or a 304 when the caller has it already.
    static func make(_ answer: CachedRatesAnswer, request: Request, now: Date) -> Response {
        let headers: HTTPFields = [
            .eTag: answer.etag,
            .cacheControl: cacheControl(answer.freshness, now: now),
            .vary: "Authorization",
        ]
        if matches(request.headers[.ifNoneMatch], answer.etag) {
            return Response(status: .notModified, headers: headers)
        }
        var fields = headers
        fields[.contentType] = "application/json; charset=utf-8"
        return Response(status: .ok, headers: fields, body: .init(byteBuffer: answer.rendered.body))
    }

    /// The answer body as bytes: sorted keys, so equal answers are equal bytes (and equal ETags).
    static func encode(_ body: some Encodable) throws -> Data {
        try encoder().encode(body)
    }

    /// An answer that must not be cached (status, loads).
    static func uncached(_ body: some Encodable) throws -> Response {
        Response(
            status: .ok,
            headers: [.contentType: "application/json; charset=utf-8", .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(data: try encoder().encode(body)))
        )
    }

    /// `Cache-Control` for `freshness` at `now`. Answers need a signed-in caller, so only private caches keep them.
    static func cacheControl(_ freshness: Freshness, now: Date) -> String {
        switch freshness {
        case .immutable:
            return "private, max-age=\(immutableMaxAge), immutable"
        case .until(let instant):
            let seconds = max(0, Int(instant.timeIntervalSince(now).rounded(.down)))
            return "private, max-age=\(seconds)"
        }
    }

    /// A strong validator: the first 16 bytes of the body's SHA-256, quoted.
    static func etag(_ data: Data) -> String {
        let digest = SHA256.hash(data: data)
        return "\"" + digest.prefix(16).hexString + "\""
    }

    /// Whether an `If-None-Match` header value names `tag` (weak comparison, as RFC 9110 asks for GET).
    static func matches(_ header: String?, _ tag: String) -> Bool {
        guard let header else { return false }
        return header.split(separator: ",").contains { candidate in
            let candidate = candidate.trimmingOptionalWhitespace
            return candidate == "*" || candidate == tag || candidate == "W/" + tag
        }
    }

    /// The contracts' encoder with sorted keys, so equal answers are equal bytes.
    private static func encoder() -> JSONEncoder {
        let encoder = ContractJSON.makeEncoder()
        encoder.outputFormatting.insert(.sortedKeys)
        return encoder
    }
}
