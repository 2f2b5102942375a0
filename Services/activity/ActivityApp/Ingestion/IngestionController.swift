import Contracts
import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import NIOFoundationEssentialsCompat
import ServiceKit

/// `POST /api/activity/events`: one envelope or an array of up to 1,000 from systems outside this repository
/// (the quoting core), authenticated with an ingestion key in `X-Api-Key`. The batch is validated as a whole,
/// every problem reported with its index, and nothing is recorded unless everything is valid. Accepted
/// envelopes go into the activity outbox, the same durable path as the services' own events.
struct IngestionController: Sendable {
    let keys: [String]
    let outbox: Outbox
    let database: Database
    static let maxBatch = 1000

    func addRoutes(to router: Router<ServiceRequestContext>) {
        router.post("api/activity/events", use: ingest)
    }

    @Sendable func ingest(_ request: Request, context: ServiceRequestContext) async throws -> Response {
        guard let key = request.headers[.apiKey], keys.contains(where: { Self.constantTimeEqual($0, key) }) else {
            throw APIError.unauthorized("send a valid ingestion key in X-Api-Key")
        }
        let body = try await request.body.collect(upTo: context.maxUploadSize)
        let document: JSONValue
        do {
            document = try ContractJSON.makeDecoder().decode(JSONValue.self, from: Data(buffer: body))
        } catch {
            throw APIError.badRequest("the body is not valid JSON")
        }
        let (elements, isBatch): ([JSONValue], Bool) =
            switch document {
            case .array(let elements): (elements, true)
            case .object: ([document], false)
            default: throw APIError.badRequest("the body must be an event envelope or an array of them")
            }
        guard !elements.isEmpty else {
            throw APIError.validation([FieldError(field: "body", message: "must contain at least one envelope")])
        }
        guard elements.count <= Self.maxBatch else {
            throw APIError.validation([
                FieldError(field: "body", message: "must contain at most \(Self.maxBatch) envelopes")
            ])
        }

        let (envelopes, problems) = Self.decode(elements, isBatch: isBatch)
        guard problems.isEmpty else { throw APIError.validation(problems) }

        let outbox = self.outbox
        let logger = context.logger
        try await database.withTransaction { connection in
            try await outbox.add(envelopes, on: connection, logger: logger)
        }
        context.logger.debug("events ingested", metadata: ["events.count": "\(envelopes.count)"])
        let receipt = IngestionReceipt(accepted: envelopes.count, ids: envelopes.map(\.id))
        var response = try context.responseEncoder.encode(receipt, from: request, context: context)
        response.status = .accepted
        return response
    }

    /// Decodes each element on its own so that every bad one is reported, not only the first.
    static func decode(_ elements: [JSONValue], isBatch: Bool) -> ([EventEnvelope], [FieldError]) {
        let encoder = ContractJSON.makeEncoder()
        let decoder = ContractJSON.makeDecoder()
        var envelopes: [EventEnvelope] = []
        var problems: [FieldError] = []
        var seen: Set<UUID> = []
        for (index, element) in elements.enumerated() {
            let prefix = isBatch ? "[\(index)]." : ""
            do {
                let envelope = try decoder.decode(EventEnvelope.self, from: try encoder.encode(element))
                problems += EnvelopeValidator.problems(envelope, prefix: prefix)
                if !seen.insert(envelope.id).inserted {
                    problems.append(FieldError(field: prefix + "id", message: "appears more than once in this batch"))
                }
                envelopes.append(envelope)
            } catch let error as DecodingError {
                problems.append(Self.problem(error, prefix: prefix))
            } catch {
                problems.append(FieldError(field: isBatch ? "[\(index)]" : "body", message: "is not an event envelope"))
            }
        }
        return (envelopes, problems)
    }

    private static func problem(_ error: DecodingError, prefix: String) -> FieldError {
        func path(_ keys: [any CodingKey]) -> String {
            keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
        }
        switch error {
        case .keyNotFound(let key, let context):
            return FieldError(field: prefix + path(context.codingPath + [key]), message: "is required")
        case .valueNotFound(_, let context):
            return FieldError(field: prefix + path(context.codingPath), message: "must not be null")
        case .typeMismatch(_, let context), .dataCorrupted(let context):
            return FieldError(field: prefix + path(context.codingPath), message: "has the wrong type or format")
        @unknown default:
            return FieldError(field: String(prefix.dropLast()), message: "is not an event envelope")
        }
    }

    /// Compares secrets in time independent of where they differ.
    static func constantTimeEqual(_ lhs: String, _ rhs: String) -> Bool {
        let left = SHA256.hash(data: Array(lhs.utf8))
        let right = SHA256.hash(data: Array(rhs.utf8))
        return zip(left, right).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }
}
