import ArgumentParser
import Contracts
import Foundation
import ServiceKit

/// Writes the API reference the proxy serves: the five services' OpenAPI documents, each assembled exactly as
/// the service serves it, merged into one `openapi.json` (`GET /api/openapi.json`), and `index.html`, a plain
/// reference page made from it (`GET /api/docs`). Run by `compose/local/up`, `compose/local/test` and the
/// proxy image's build, so the merged document is never written by hand.
@main
struct APIDocs: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "api-docs",
        abstract: "Merges the services' OpenAPI documents and renders the reference page."
    )

    @Option(help: "Folder to write openapi.json and index.html into.") var output: String
    @Argument(help: "The services' own openapi.json files.") var documents: [String]

    func run() throws {
        var merged = MergedDocument()
        for path in documents {
            let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
            do {
                try merged.add(APIDocument(service: Array(bytes)).json)
            } catch {
                throw ValidationError("\(path): \(error)")
            }
        }
        let folder = URL(fileURLWithPath: output, isDirectory: true)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        try encoder.encode(merged.document).write(to: folder.appendingPathComponent("openapi.json"), options: .atomic)
        try Data(ReferencePage(document: merged.document).html.utf8)
            .write(to: folder.appendingPathComponent("index.html"), options: .atomic)
    }
}

/// The platform's one document: every service's `/api/` paths, tags and components. The operational paths
/// (health, metrics, `/openapi.json`) are each replica's own and not routed by the proxy, so they are left out.
/// A service's document-wide `security` moves onto its operations that have none, since the services differ.
struct MergedDocument {
    private var paths: [String: JSONValue] = [:]
    private var components: [String: [String: JSONValue]] = [:]
    private var tags: [JSONValue] = []
    private var titles: [String] = []

    var document: JSONValue {
        .object([
            "openapi": "3.1.0",
            "info": .object([
                "title": "Quoting platform API",
                "version": "1",
                "description": .string(
                    "Every route of the platform's services (\(titles.joined(separator: ", "))), as the proxy "
                        + "serves them. Each service serves its own part at `/openapi.json`."
                ),
            ]),
            "tags": .array(tags),
            "paths": .object(paths),
            "components": .object(components.mapValues { .object($0) }),
        ])
    }

    mutating func add(_ service: JSONValue) throws {
        titles.append(service["info"]?["title"]?.string ?? "a service")
        let security = service["security"]
        for (path, item) in service["paths"]?.object ?? [:] where path.hasPrefix("/api/") {
            guard paths[path] == nil else { throw ValidationError("two services describe \(path)") }
            var operations = item.object ?? [:]
            for (method, operation) in operations {
                guard var members = operation.object, members["responses"] != nil else { continue }
                if members["security"] == nil, let security { members["security"] = security }
                operations[method] = .object(members)
            }
            paths[path] = .object(operations)
        }
        for (section, members) in service["components"]?.object ?? [:] {
            for (name, value) in members.object ?? [:] {
                if let existing = components[section]?[name], existing != value {
                    throw ValidationError("components.\(section).\(name) differs between services")
                }
                components[section, default: [:]][name] = value
            }
        }
        let known = Set(tags.compactMap { $0["name"]?.string })
        tags += (service["tags"]?.array ?? []).filter { !known.contains($0["name"]?.string ?? "") }
    }
}
