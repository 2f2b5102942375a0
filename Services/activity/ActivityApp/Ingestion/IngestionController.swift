import Contracts
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import NIOFoundationEssentialsCompat
import ServiceKit

/// `POST /api/activity/events`: one envelope or an array of up to 1,000 from systems outside this repository
/// (the quoting core), authenticated with an ingestion key in `X-Api-Key`. The batch is validated as a whole,
/// every problem reported with its index, and nothing is recorded unless everything is valid (422) and within
/// the key's scope (403): each envelope must name the key's source and have a type the key lists, never one
/// of the platform's own. Accepted envelopes go into the activity outbox, the same durable path as the
/// services' own events, and reach the stream as published by activity.
package struct IngestionController: Sendable {
    let keys: [IngestionKey]
    let outbox: Outbox
    let database: Database
    let clock: any WallClock
    static let maxBatch = 1000
    /// The largest payload accepted, as sent: 64 KiB.
    static let maxPayloadSize = 64 << 10
    /// How far in the future an `occurred_at` may be (clocks of senders drift; events do not come from later).
    static let maxClockSkew: TimeInterval = 300

    func addRoutes(to router: Router<ServiceRequestContext>) {
        router.post("api/activity/events", use: ingest)
    }

    @Sendable func ingest(
        _ request: Request,
        context: ServiceRequestContext
    ) async throws -> EditedResponse<RenderedJSON> {
        guard let presented = request.headers[.apiKey], let key = IngestionKey.matching(presented, in: keys) else {
            throw APIError.unauthorized("send a valid ingestion key in X-Api-Key")
        }
        let body = try await request.body.collect(upTo: context.maxUploadSize)
        let bytes = Array(body.readableBytesView)
        let (elements, isBatch) = try Self.elements(of: bytes)
        guard !elements.isEmpty else {
            throw APIError.validation([FieldError(field: "body", message: "must contain at least one envelope")])
        }
        guard elements.count <= Self.maxBatch else {
            throw APIError.validation([
                FieldError(field: "body", message: "must contain at most \(Self.maxBatch) envelopes")
            ])
        }

        let (envelopes, decodingProblems) = Self.decode(
            bytes: bytes,
            elements: elements,
            isBatch: isBatch,
            now: clock.now()
        )
        let problems = decodingProblems + Self.nulEscapes(in: bytes, elements: elements, isBatch: isBatch)
        guard problems.isEmpty else { throw APIError.validation(problems) }
        let refusals = Self.refusals(envelopes, key: key, isBatch: isBatch)
        guard refusals.isEmpty else {
            context.logger.warning(
                "ingestion refused envelopes outside the key's scope",
                metadata: ["ingestion.source": "\(key.source)", "events.refused": "\(refusals.count)"]
            )
            throw IngestionScopeError(source: key.source, errors: refusals)
        }

        // Each envelope is stored as the bytes that were sent: validated, never re-encoded.
        let encoded = zip(envelopes, elements).map { envelope, range in
            (id: envelope.id, type: envelope.type, json: String(decoding: bytes[range], as: UTF8.self))
        }
        let logger = context.logger
        _ = try await database.withTransaction { connection in
            try await outbox.add(encoded: encoded, on: connection, logger: logger)
        }
        context.logger.debug(
            "events ingested",
            metadata: ["events.count": "\(envelopes.count)", "ingestion.source": "\(key.source)"]
        )
        return EditedResponse(status: .accepted, response: RenderedJSON(body: Self.receipt(envelopes.map(\.id))))
    }

    /// Every envelope of a valid batch that `key` may not send, by index: another source than the key's, or a
    /// type none of its patterns matches (the platform's own types never do).
    static func refusals(_ envelopes: [IncomingEnvelope], key: IngestionKey, isBatch: Bool) -> [FieldError] {
        var refusals: [FieldError] = []
        for (index, envelope) in envelopes.enumerated() {
            let prefix = isBatch ? "[\(index)]." : ""
            if envelope.source.service != key.source {
                refusals.append(
                    FieldError(
                        field: prefix + "source.service",
                        message: "must be \(key.source), the source this key ingests for"
                    )
                )
            }
            if EventOwnership.isPlatformType(envelope.type) {
                refusals.append(
                    FieldError(
                        field: prefix + "type",
                        message: "\(envelope.type) is an event of the platform's own services; "
                            + "no ingestion key may send it (this key ingests for \(key.source))"
                    )
                )
            } else if !key.allows(type: envelope.type) {
                refusals.append(
                    FieldError(
                        field: prefix + "type",
                        message: "\(envelope.type) is not among the types the key of \(key.source) may send ("
                            + key.patterns.map(\.description).joined(separator: ", ") + ")"
                    )
                )
            }
        }
        return refusals
    }

    /// The `IngestionReceipt` for `ids`, written without Foundation's encoder (a thousand UUIDs an answer).
    static func receipt(_ ids: [UUID]) -> ByteBuffer {
        var json = JSONWriter(capacity: 32 + ids.count * 39)
        json.beginObject()
        json.field("accepted", ids.count)
        json.key("ids")
        json.beginArray()
        for id in ids {
            json.separate()
            json.uuid(id)
        }
        json.endArray()
        json.endObject()
        return json.buffer
    }

    /// The byte ranges of the envelopes in `bytes`: the elements of an array, or the one object.
    package static func elements(of bytes: [UInt8]) throws(APIError) -> ([Range<Int>], Bool) {
        if let ranges = JSONElements.split(bytes) { return (ranges, true) }
        let start = bytes.firstIndex { !$0.isJSONWhitespace } ?? bytes.endIndex
        let end = (bytes.lastIndex { !$0.isJSONWhitespace } ?? -1) + 1
        guard start < end, bytes[start] == UInt8(ascii: "{"), bytes[end - 1] == UInt8(ascii: "}") else {
            throw .badRequest("the body must be an event envelope or an array of them, as JSON")
        }
        return ([start..<end], false)
    }

    /// Decodes and checks every element, reporting every bad one with its index, not only the first. The usual
    /// batch is read by ``EnvelopeScanner`` (the fast path: `compose/local/bench fastpath` measures it against
    /// ``decoded(bytes:elements:isBatch:now:)``); any other is decoded by `JSONDecoder`. Both paths end in the
    /// same checks.
    package static func decode(
        bytes: [UInt8],
        elements: [Range<Int>],
        isBatch: Bool,
        now: Date
    ) -> ([IncomingEnvelope], [FieldError]) {
        if let scanned = EnvelopeScanner.envelopes(in: bytes, elements: elements, isBatch: isBatch) {
            let problems = Self.check(scanned, indices: Array(scanned.indices), isBatch: isBatch, now: now)
            return (problems.isEmpty ? scanned : [], problems)
        }
        return decoded(bytes: bytes, elements: elements, isBatch: isBatch, now: now)
    }

    /// ``decode(bytes:elements:isBatch:now:)`` by `JSONDecoder`: the whole batch in one call, and a batch with
    /// problems again element by element, with the layout checks the decoder cannot make.
    package static func decoded(
        bytes: [UInt8],
        elements: [Range<Int>],
        isBatch: Bool,
        now: Date
    ) -> ([IncomingEnvelope], [FieldError]) {
        let decoder = ContractJSON.makeDecoder()
        var envelopes: [IncomingEnvelope] = []
        var indices: [Int] = []
        var problems: [FieldError] = []
        if isBatch, let all = try? decoder.decode([IncomingEnvelope].self, from: Data(bytes)),
            all.count == elements.count
        {
            envelopes = all
            indices = Array(all.indices)
        } else {
            for (index, range) in elements.enumerated() {
                do {
                    envelopes.append(try decoder.decode(IncomingEnvelope.self, from: Data(bytes[range])))
                    indices.append(index)
                } catch let error as DecodingError {
                    problems.append(DecodingProblem.fieldError(error, under: isBatch ? "[\(index)]" : ""))
                } catch {
                    problems.append(
                        FieldError(field: isBatch ? "[\(index)]" : "body", message: "is not an event envelope")
                    )
                }
            }
        }
        for (position, index) in indices.enumerated() {
            let layout = Self.layout(of: bytes, element: elements[index], prefix: isBatch ? "[\(index)]." : "")
            envelopes[position].payloadSize = layout.payloadSize
            problems += layout.problems
        }
        problems += Self.check(envelopes, indices: indices, isBatch: isBatch, now: now)
        return (problems.isEmpty ? envelopes : [], problems)
    }

    /// What `JSONDecoder` does not tell about an envelope it read: the payload's size as sent, and keys given
    /// twice in the envelope or its `source`, `actor` and `resource`. Readers disagree on which of two values
    /// counts (`JSONDecoder` takes the first, Postgres the last), so the checks here could pass on one and the
    /// log record the other; such an envelope is refused. (``EnvelopeScanner`` gives up on repeated keys.)
    static func layout(of bytes: [UInt8], element: Range<Int>, prefix: String) -> EnvelopeLayout {
        guard let members = JSONElements.members(bytes, in: element) else {
            let field = prefix.isEmpty ? "body" : String(prefix.dropLast())
            return EnvelopeLayout(
                payloadSize: 0,
                problems: [FieldError(field: field, message: "is not an event envelope")]
            )
        }
        var layout = EnvelopeLayout(payloadSize: members.first { $0.key == "payload" }?.value.count ?? 0)
        func repeated(_ members: [(key: String, value: Range<Int>)], path: String) {
            var seen: Set<String> = []
            for member in members where !seen.insert(member.key).inserted {
                layout.problems.append(FieldError(field: prefix + path + member.key, message: "appears more than once"))
            }
        }
        repeated(members, path: "")
        for (key, value) in members where ["source", "actor", "resource"].contains(key) {
            if let nested = JSONElements.members(bytes, in: value) { repeated(nested, path: key + ".") }
        }
        return layout
    }

    /// Elements holding a `\u0000` escape: Postgres' `jsonb` cannot store it, so such an envelope could be
    /// accepted here and then never recorded.
    static func nulEscapes(in bytes: [UInt8], elements: [Range<Int>], isBatch: Bool) -> [FieldError] {
        let pattern = Array("u0000".utf8)
        return elements.enumerated().compactMap { index, range in
            var position = range.lowerBound
            while position < range.upperBound - pattern.count {
                if bytes[position] == UInt8(ascii: "\\"),
                    Array(bytes[(position + 1)..<(position + 1 + pattern.count)]) == pattern
                {
                    var backslashes = 1
                    var before = position - 1
                    while before >= range.lowerBound, bytes[before] == UInt8(ascii: "\\") {
                        backslashes += 1
                        before -= 1
                    }
                    if backslashes % 2 == 1 {
                        return FieldError(
                            field: isBatch ? "[\(index)]" : "body",
                            message: "must not contain \\u0000 (NUL)"
                        )
                    }
                }
                position += 1
            }
            return nil
        }
    }

    private static func check(
        _ envelopes: [IncomingEnvelope],
        indices: [Int],
        isBatch: Bool,
        now: Date
    ) -> [FieldError] {
        var problems: [FieldError] = []
        var seen: Set<UUID> = []
        for (position, envelope) in envelopes.enumerated() {
            let prefix = isBatch ? "[\(indices[position])]." : ""
            problems += EnvelopeValidator.problems(envelope, prefix: prefix)
            if envelope.occurredAt.timeIntervalSince(now) > Self.maxClockSkew {
                problems.append(
                    FieldError(field: prefix + "occurred_at", message: "must not be more than 5 minutes in the future")
                )
            }
            if envelope.payloadSize > Self.maxPayloadSize {
                problems.append(
                    FieldError(
                        field: prefix + "payload",
                        message: "must be at most \(Self.maxPayloadSize) bytes (64 KiB) as sent"
                    )
                )
            }
            if !seen.insert(envelope.id).inserted {
                problems.append(FieldError(field: prefix + "id", message: "appears more than once in this batch"))
            }
        }
        return problems
    }
}

/// See ``IngestionController/layout(of:element:prefix:)``.
struct EnvelopeLayout {
    var payloadSize: Int
    var problems: [FieldError] = []
}
