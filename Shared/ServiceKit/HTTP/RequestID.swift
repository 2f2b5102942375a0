import Foundation
import HTTPTypes
import Hummingbird

extension HTTPField.Name {
    /// `X-Request-ID`: correlates a request across the proxy, services, logs and events.
    package static let requestID = constant("X-Request-ID")
    /// `X-Forwarded-For`: the client and proxies a request passed through, as the proxies report them.
    package static let xForwardedFor = constant("X-Forwarded-For")
    /// `X-Api-Key`: the credential of systems outside this repository.
    package static let apiKey = constant("X-Api-Key")

    /// A header name written in the source, valid by construction.
    static func constant(_ name: String) -> HTTPField.Name {
        guard let field = HTTPField.Name(name) else { preconditionFailure("invalid header name \(name)") }
        return field
    }
}

/// Request ids: the caller's `X-Request-ID` when it is 1 to 128 of `A-Z a-z 0-9 . _ -`, otherwise a new UUID.
package enum RequestID {
    /// The id to use for a request that carried `header`.
    package static func resolve(_ header: String?) -> String {
        header.flatMap(accepted) ?? UUID().uuidString.lowercased()
    }

    static func accepted(_ candidate: String) -> String? {
        guard (1...128).contains(candidate.utf8.count),
            candidate.utf8.allSatisfy({ byte in
                (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                    || byte == 0x2D || byte == 0x2E || byte == 0x5F
            })
        else { return nil }
        return candidate
    }
}
