import Contracts
import Foundation
import HTTPTypes
import Hummingbird

/// A service's OpenAPI document as it serves it at `GET /openapi.json`: the service's own `openapi.json`
/// (compiled into its library) with the platform's shared parts merged in, so that what every service has in
/// common is written once (`platform.json` beside this file) and the event schemas once
/// (`Shared/Contracts/Schemas`).
///
/// Merged in: the operational paths (health, metrics, this document); the shared `components` (problems,
/// headers, parameters, security schemes; a service may not redefine one); the event JSON Schemas as
/// `EventEnvelope`, `QuoteEventPayload` and `CustomerEventPayload`; and on every `/api/` operation the answers
/// the platform gives on any route unless the operation lists them itself: 401 (a bad token is refused
/// everywhere), 429 (every route has a rate limit policy), 500 and 503, and for an operation with a body 400
/// (not JSON), 413 (over the size limit) and 422 (validation).
package struct APIDocument: Sendable {
    /// The assembled document.
    package let json: JSONValue
    /// The document as served: sorted keys, so every replica serves the same bytes.
    package let rendered: Data

    /// Assembles the document of a service from its own file's bytes.
    package init(service: [UInt8]) throws {
        let own = try ContractJSON.makeDecoder().decode(JSONValue.self, from: Data(service))
        let platform = try ContractJSON.makeDecoder().decode(JSONValue.self, from: Data(PackageResources.platform_json))
        guard var document = own.object, let shared = platform.object else {
            throw APIDocumentError.invalid("a document is not a JSON object")
        }
        var schemas: [String: JSONValue] = [:]
        for (name, bytes) in ContractSchemas.all {
            schemas[name] = try ContractJSON.makeDecoder().decode(JSONValue.self, from: Data(bytes))
        }
        var components = shared["components"]?.object ?? [:]
        components["schemas"] = .object((components["schemas"]?.object ?? [:]).merging(schemas) { first, _ in first })
        document["components"] = .object(
            try Self.merge(document["components"]?.object ?? [:], components, at: "components")
        )
        var paths = document["paths"]?.object ?? [:]
        for (path, item) in paths where path.hasPrefix("/api/") {
            paths[path] = Self.addingPlatformAnswers(to: item)
        }
        document["paths"] = .object(try Self.merge(paths, shared["paths"]?.object ?? [:], at: "paths"))
        self.json = .object(document)
        try Self.checkReferences(in: json, root: json, at: "#")
        try Self.checkOperationIDs(in: json)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        self.rendered = try encoder.encode(json)
    }

    /// Every operation of the document, as `METHOD /path` (`GET /api/users/{id}`).
    package var operations: Set<String> {
        var operations: Set<String> = []
        for (path, item) in json["paths"]?.object ?? [:] {
            for method in (item.object ?? [:]).keys where Self.methods.contains(method) {
                operations.insert("\(method.uppercased()) \(path)")
            }
        }
        return operations
    }

    /// The difference between the routes a router registers and the operations of this document, both ways.
    package func drift(from routes: some Sequence<(method: HTTPRequest.Method, path: String)>) -> APIDocumentDrift {
        let registered = Set(routes.map { "\($0.method.rawValue) \($0.path)" })
        return APIDocumentDrift(
            undocumented: registered.subtracting(operations).sorted(),
            unrouted: operations.subtracting(registered).sorted()
        )
    }

    /// Throws for a local `$ref` that names nothing in the document: a client generator or fuzzer would stop there.
    private static func checkReferences(in value: JSONValue, root: JSONValue, at location: String) throws {
        switch value {
        case .object(let members):
            if let reference = members["$ref"]?.string, reference.hasPrefix("#/") {
                let target = reference.dropFirst(2).split(separator: "/").reduce(Optional(root)) {
                    $0?[String($1).replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")]
                }
                guard target != nil else {
                    throw APIDocumentError.invalid("\(location) refers to \(reference), which is not defined")
                }
            }
            for (key, member) in members { try checkReferences(in: member, root: root, at: "\(location)/\(key)") }
        case .array(let elements):
            for (index, element) in elements.enumerated() {
                try checkReferences(in: element, root: root, at: "\(location)/\(index)")
            }
        default:
            break
        }
    }

    /// Throws unless every operation has an `operationId`, and no two the same: filters, links and the
    /// reference page name operations by it.
    private static func checkOperationIDs(in document: JSONValue) throws {
        var seen: Set<String> = []
        for (path, item) in document["paths"]?.object ?? [:] {
            for (method, operation) in item.object ?? [:] where methods.contains(method) {
                guard let id = operation["operationId"]?.string else {
                    throw APIDocumentError.invalid("\(method.uppercased()) \(path) has no operationId")
                }
                guard seen.insert(id).inserted else {
                    throw APIDocumentError.invalid("operationId \(id) is used twice")
                }
            }
        }
    }

    /// The HTTP methods an OpenAPI path item may hold.
    static let methods: Set<String> = ["get", "put", "post", "delete", "options", "head", "patch", "trace"]

    /// `own` with `shared`'s sections added member by member, two levels deep (`components.schemas.Problem`,
    /// `paths./metrics`); a name defined on both sides is an error rather than a silent override.
    private static func merge(
        _ own: [String: JSONValue],
        _ shared: [String: JSONValue],
        at location: String
    ) throws -> [String: JSONValue] {
        var merged = own
        for (key, value) in shared {
            guard let existing = merged[key] else {
                merged[key] = value
                continue
            }
            guard location == "components", let ownSection = existing.object, let sharedSection = value.object else {
                throw APIDocumentError.invalid("\(location).\(key) is defined by the service and the platform")
            }
            for name in ownSection.keys where sharedSection[name] != nil {
                throw APIDocumentError.invalid("components.\(key).\(name) is defined by the service and the platform")
            }
            merged[key] = .object(ownSection.merging(sharedSection) { first, _ in first })
        }
        return merged
    }

    /// The answers of `platformAnswers` (and for operations with a body, of `bodyAnswers`) that an
    /// operation of `item` does not list itself.
    private static func addingPlatformAnswers(to item: JSONValue) -> JSONValue {
        guard var operations = item.object else { return item }
        for (method, operation) in operations where methods.contains(method) {
            guard var members = operation.object else { continue }
            var responses = members["responses"]?.object ?? [:]
            let added = platformAnswers + (members["requestBody"] == nil ? [] : bodyAnswers)
            for (status, name) in added where responses[status] == nil {
                responses[status] = ["$ref": .string("#/components/responses/\(name)")]
            }
            members["responses"] = .object(responses)
            operations[method] = .object(members)
        }
        return .object(operations)
    }

    /// Answers any `/api/` route can give, whatever the service: see the type's documentation.
    static let platformAnswers = [
        ("401", "Unauthorized"), ("429", "TooManyRequests"), ("500", "InternalError"), ("503", "Unavailable"),
    ]
    /// Answers any route that reads a body can give.
    static let bodyAnswers = [("400", "BadRequest"), ("413", "ContentTooLarge"), ("422", "ValidationFailed")]
}

/// Routes without an operation in the document, and operations without a route.
package struct APIDocumentDrift: Error, Equatable, CustomStringConvertible {
    /// `METHOD /path` of routes the router registers that the document does not describe.
    package var undocumented: [String]
    /// `METHOD /path` of operations the document describes that no route serves.
    package var unrouted: [String]

    /// Whether the document and the routes agree.
    package var isEmpty: Bool { undocumented.isEmpty && unrouted.isEmpty }

    package var description: String {
        "the OpenAPI document and the routes differ: routes without an operation: "
            + (undocumented.isEmpty ? "none" : undocumented.joined(separator: ", "))
            + "; operations without a route: " + (unrouted.isEmpty ? "none" : unrouted.joined(separator: ", "))
    }
}

/// A document that cannot be assembled.
package enum APIDocumentError: Error, CustomStringConvertible {
    case invalid(String)

    package var description: String {
        switch self {
        case .invalid(let reason): "the OpenAPI document is not valid: \(reason)"
        }
    }
}
