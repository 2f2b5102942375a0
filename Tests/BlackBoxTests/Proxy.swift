import Contracts
import Foundation
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// The running system as the web frontend sees it: requests through nginx at `PROXY_URL`.
enum Proxy {
    static var url: URL {
        get throws {
            guard let text = ProcessInfo.processInfo.environment["PROXY_URL"], let url = URL(string: text) else {
                throw SystemNotRunning()
            }
            return url
        }
    }

    /// The quoting core's ingestion key of the system under test: `INGEST_KEY`, else the key a development
    /// system accepts when it has none configured (a production deployment has generated ones).
    static var ingestKey: String {
        ProcessInfo.processInfo.environment["INGEST_KEY"] ?? "dev-ingest-key"
    }

    struct SystemNotRunning: Error, CustomStringConvertible {
        var description: String {
            "PROXY_URL is not set: run compose/local/test, or compose/local/up --detach and PROXY_URL=http://127.0.0.1:8080"
        }
    }

    struct Answer {
        var status: Int
        var headers: [String: String]
        var body: Data

        func decode<T: Decodable>(_ type: T.Type) throws -> T {
            try ContractJSON.makeDecoder().decode(T.self, from: body)
        }

        var text: String { String(decoding: body, as: UTF8.self) }
    }

    /// Sends a request through the proxy; `json` is sent as the body with `Content-Type: application/json`.
    static func send(
        _ method: String,
        _ path: String,
        json: (any Encodable)? = nil,
        raw: String? = nil,
        token: String? = nil,
        headers: [String: String] = [:]
    ) async throws -> Answer {
        var request = URLRequest(url: try url.appendingPathComponent(path))
        if let query = path.split(separator: "?", maxSplits: 1).dropFirst().first {
            request.url = URL(string: try url.absoluteString + "/" + path.split(separator: "?")[0] + "?" + query)
        }
        request.httpMethod = method
        if let json {
            request.httpBody = try ContractJSON.makeEncoder().encode(json)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        } else if let raw {
            request.httpBody = Data(raw.utf8)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        let (data, response) = try await URLSession.shared.data(for: request)
        let http = try #require(response as? HTTPURLResponse)
        var fields: [String: String] = [:]
        for (name, value) in http.allHeaderFields {
            if let name = name as? String, let value = value as? String { fields[name.lowercased()] = value }
        }
        return Answer(status: http.statusCode, headers: fields, body: data)
    }
}
