import Contracts
import Foundation

/// A readable HTML reference of an OpenAPI document: operations grouped by tag, each with its parameters,
/// body, answers and headers, then every component schema. Self-contained (one file, its own small
/// stylesheet, no script), since no third-party page assets can be fetched where the platform runs.
struct ReferencePage {
    let document: JSONValue

    var html: String {
        var page = """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(escape(document["info"]?["title"]?.string ?? "API"))</title>
            <style>\(Self.style)</style></head><body>
            <h1>\(escape(document["info"]?["title"]?.string ?? "API"))</h1>
            <p>\(prose(document["info"]?["description"]?.string))</p>
            <p>The machine-readable document: <a href="openapi.json">openapi.json</a>.</p>
            <nav><h2>Operations</h2>
            """
        let groups = operationsByTag()
        for (tag, operations) in groups {
            page += "<h3>\(escape(tag))</h3><ul>"
            for operation in operations {
                page +=
                    "<li><a href=\"#\(operation.anchor)\">\(operation.method.uppercased()) "
                    + "\(escape(operation.path))</a> \(escape(operation.body["summary"]?.string ?? ""))</li>"
            }
            page += "</ul>"
        }
        page += "<h3>Schemas</h3><ul>"
        for name in schemaNames {
            page += "<li><a href=\"#schema-\(escape(name))\">\(escape(name))</a></li>"
        }
        page += "</ul></nav><main>"
        for (tag, operations) in groups {
            let about = tags[tag].map { "<p>\(prose($0))</p>" } ?? ""
            page += "<h2>\(escape(tag))</h2>\(about)"
            for operation in operations { page += render(operation) }
        }
        page += "<h2>Schemas</h2>"
        for name in schemaNames {
            let schema = document["components"]?["schemas"]?[name] ?? .null
            page += "<section id=\"schema-\(escape(name))\"><h3>\(escape(name))</h3>\(describe(schema))</section>"
        }
        return page + "</main></body></html>\n"
    }

    struct Operation {
        var path: String
        var method: String
        var body: [String: JSONValue]
        var anchor: String { "op-" + (body["operationId"]?.string ?? "\(method)-\(path)") }
    }

    private var tags: [String: String] {
        var tags: [String: String] = [:]
        for tag in document["tags"]?.array ?? [] {
            if let name = tag["name"]?.string { tags[name] = tag["description"]?.string ?? "" }
        }
        return tags
    }

    private var schemaNames: [String] { (document["components"]?["schemas"]?.object ?? [:]).keys.sorted() }

    private func operationsByTag() -> [(String, [Operation])] {
        var groups: [String: [Operation]] = [:]
        for (path, item) in document["paths"]?.object ?? [:] {
            for method in ["get", "post", "put", "patch", "delete"] {
                guard let body = item[method]?.object else { continue }
                var tag = "other"
                if let first = body["tags"]?.array?.first?.string { tag = first }
                groups[tag, default: []].append(Operation(path: path, method: method, body: body))
            }
        }
        return groups.keys.sorted().map { tag in
            (tag, groups[tag]!.sorted { ($0.path, $0.method) < ($1.path, $1.method) })
        }
    }

    private func render(_ operation: Operation) -> String {
        let body = operation.body
        var html = "<section class=\"operation\" id=\"\(escape(operation.anchor))\">"
        html +=
            "<h3><span class=\"method\">\(operation.method.uppercased())</span> <code>\(escape(operation.path))</code></h3>"
        html +=
            "<p><strong>\(escape(body["summary"]?.string ?? ""))</strong></p><p>\(prose(body["description"]?.string))</p>"
        html += "<p>Credentials: \(credentials(body["security"]))</p>"
        if let parameters = body["parameters"]?.array, !parameters.isEmpty {
            html += "<h4>Parameters</h4><table><tr><th>name</th><th>in</th><th>value</th><th>about</th></tr>"
            for reference in parameters {
                let parameter = resolve(reference)
                let required = parameter["required"] == .bool(true) ? " (required)" : ""
                html +=
                    "<tr><td><code>\(escape(parameter["name"]?.string ?? ""))</code>\(required)</td>"
                    + "<td>\(escape(parameter["in"]?.string ?? ""))</td><td>\(summary(parameter["schema"] ?? .null))</td>"
                    + "<td>\(prose(parameter["description"]?.string))</td></tr>"
            }
            html += "</table>"
        }
        if let request = body["requestBody"].map(resolve) {
            html += "<h4>Body</h4><p>\(prose(request["description"]?.string))</p>"
            for (type, media) in (request["content"]?.object ?? [:]).sorted(by: { $0.key < $1.key }) {
                html += "<p><code>\(escape(type))</code></p>\(describe(media["schema"] ?? .null))"
            }
        }
        html += "<h4>Answers</h4><table><tr><th>status</th><th>meaning</th><th>body</th><th>headers</th></tr>"
        for (status, reference) in (body["responses"]?.object ?? [:]).sorted(by: { $0.key < $1.key }) {
            let response = resolve(reference)
            let content = (response["content"]?.object ?? [:]).sorted { $0.key < $1.key }
                .map { "<code>\(escape($0.key))</code> \(summary($0.value["schema"] ?? .null))" }
                .joined(separator: "<br>")
            let headers = (response["headers"]?.object ?? [:]).keys.sorted().map { "<code>\(escape($0))</code>" }
                .joined(separator: ", ")
            html +=
                "<tr><td>\(escape(status))</td><td>\(prose(response["description"]?.string))</td>"
                + "<td>\(content)</td><td>\(headers)</td></tr>"
        }
        return html + "</table></section>"
    }

    private func credentials(_ security: JSONValue?) -> String {
        guard let options = security?.array else { return "an access token (<code>bearer</code>)" }
        let names = options.map { option -> String in
            let schemes = (option.object ?? [:]).keys.sorted()
            return schemes.isEmpty ? "none" : schemes.map { "<code>\(escape($0))</code>" }.joined(separator: " and ")
        }
        return names.joined(separator: " or ")
    }

    /// A schema as a properties table (objects) or a one-line summary (anything else).
    private func describe(_ schema: JSONValue) -> String {
        var html = schema["description"]?.string.map { "<p>\(prose($0))</p>" } ?? ""
        guard let properties = schema["properties"]?.object, !properties.isEmpty else {
            return html + "<p>\(summary(schema))</p>"
        }
        var required: Set<String> = []
        if let names = schema["required"]?.array { required = Set(names.compactMap(\.string)) }
        html += "<table><tr><th>field</th><th>value</th><th>about</th></tr>"
        for (name, property) in properties.sorted(by: { $0.key < $1.key }) {
            let mark = required.contains(name) ? " (required)" : ""
            html +=
                "<tr><td><code>\(escape(name))</code>\(mark)</td><td>\(summary(property))</td>"
                + "<td>\(prose(property["description"]?.string))</td></tr>"
        }
        if schema["additionalProperties"] == .bool(false) { html += "<tr><td colspan=\"3\">no other fields</td></tr>" }
        return html + "</table>"
    }

    /// One line for a schema: a link to a named one, or its type with formats and limits.
    private func summary(_ schema: JSONValue) -> String {
        if let reference = schema["$ref"]?.string {
            let name = reference.split(separator: "/").last.map(String.init) ?? reference
            return "<a href=\"#schema-\(escape(name))\">\(escape(name))</a>"
        }
        for combinator in ["oneOf", "anyOf", "allOf"] {
            if let options = schema[combinator]?.array {
                return options.map(summary).joined(separator: combinator == "allOf" ? " and " : " or ")
            }
        }
        var parts: [String] = []
        switch schema["type"] {
        case .string(let type)?: parts.append(type)
        case .array(let types)?: parts.append(types.compactMap(\.string).joined(separator: " or "))
        default: break
        }
        if let items = schema["items"] { parts.append("of " + summary(items)) }
        if let values = schema["additionalProperties"], values.object != nil { parts.append("of " + summary(values)) }
        if let values = schema["enum"]?.array {
            parts.append("one of " + values.map(literal).joined(separator: ", "))
        }
        if let value = schema["const"] { parts.append("always " + literal(value)) }
        for key in [
            "format", "pattern", "minimum", "maximum", "minLength", "maxLength", "minItems", "maxItems", "default",
        ] {
            if let value = schema[key] { parts.append("\(key) " + literal(value)) }
        }
        if schema["properties"]?.object?.isEmpty == false { parts.append(describe(schema.droppingDescription)) }
        return parts.isEmpty ? "any" : parts.joined(separator: ", ")
    }

    private func literal(_ value: JSONValue) -> String {
        switch value {
        case .string(let text): "<code>\(escape(text))</code>"
        case .number(let number): "\(number)"
        case .bool(let flag): "\(flag)"
        case .null: "null"
        default: "…"
        }
    }

    /// A `$ref` to a component followed, else the value itself.
    private func resolve(_ value: JSONValue) -> JSONValue {
        guard let reference = value["$ref"]?.string, reference.hasPrefix("#/") else { return value }
        return reference.dropFirst(2).split(separator: "/").reduce(document) { $0?[String($1)] } ?? value
    }

    /// Text with `code` spans, paragraphs and line breaks, escaped.
    private func prose(_ text: String?) -> String {
        guard let text else { return "" }
        var html = ""
        for (index, part) in escape(text).split(separator: "`", omittingEmptySubsequences: false).enumerated() {
            html += index % 2 == 1 ? "<code>\(part)</code>" : String(part)
        }
        return html.replacingOccurrences(of: "\n\n", with: "</p><p>").replacingOccurrences(of: "\n", with: "<br>")
    }

    private func escape(_ text: String) -> String {
        var escaped = ""
        for character in text {
            switch character {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "\"": escaped += "&quot;"
            default: escaped.append(character)
            }
        }
        return escaped
    }

    private static let style = """
        body{font:15px/1.5 system-ui,sans-serif;max-width:72rem;margin:auto;padding:1rem;color:#1d1d1f}\
        table{border-collapse:collapse;width:100%;margin:.5rem 0}td,th{border:1px solid #ccc;padding:.3rem;\
        vertical-align:top;text-align:left}code{background:#f2f2f2;padding:0 .2rem}.operation{border-top:2px solid \
        #888;margin-top:2rem}.method{font-weight:bold;color:#0a5}
        """
}

extension JSONValue {
    /// The schema without its description (it is shown beside the field already).
    fileprivate var droppingDescription: JSONValue {
        guard var members = object else { return self }
        members["description"] = nil
        return .object(members)
    }
}
