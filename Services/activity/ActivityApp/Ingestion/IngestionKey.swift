import Crypto
import ServiceKit

/// An ingestion key: the one outside system it authenticates and the event types that system may send. A
/// key holder can never speak for another system or send the platform's own events (``EventOwnership``).
package struct IngestionKey: Sendable, Equatable {
    /// The outside system (`quoting-core`): every envelope sent with the key must name it in `source.service`.
    package var source: String
    /// The event types the key may send.
    package var patterns: [EventTypePattern]
    /// The `X-Api-Key` value.
    package var secret: String

    package init(source: String, patterns: [EventTypePattern], secret: String) {
        self.source = source
        self.patterns = patterns
        self.secret = secret
    }

    /// Whether the key may send events of `type`: one of its patterns matches, and it is not a platform event.
    package func allows(type: String) -> Bool {
        !EventOwnership.isPlatformType(type) && patterns.contains { $0.matches(type) }
    }

    /// The shortest secret accepted.
    package static let minimumSecretLength = 16

    /// The expected form of `ACTIVITY_INGEST_KEYS`, for configuration errors.
    static let format =
        "comma-separated <source>:<type pattern>[|<type pattern>...]:<secret> entries (source of a-z, 0-9 and -, "
        + "patterns an event type or prefix.*, secret of \(minimumSecretLength) characters or more)"

    /// Parses one entry of `ACTIVITY_INGEST_KEYS`, `<source>:<pattern>[|<pattern>...]:<secret>`, split on its
    /// first two colons so that the secret may hold more. The error never quotes the entry: a misplaced
    /// colon would put part of the secret anywhere in it.
    package static func parse(_ entry: String, number: Int, variable: String) throws -> IngestionKey {
        func refuse(_ problem: String) -> ConfigurationError {
            ConfigurationError(
                variable: variable,
                value: "entry \(number), not shown: it holds a secret",
                expected: "\(format); \(problem)"
            )
        }
        let parts = entry.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3 else { throw refuse("this entry does not have three parts") }
        let source = String(parts[0])
        guard !source.isEmpty, source.utf8.count <= 100,
            source.utf8.allSatisfy({ $0.isLowercaseASCIILetter || $0.isASCIIDigit || $0 == UInt8(ascii: "-") })
        else { throw refuse("the source of this entry is not a name of a-z, 0-9 and -") }
        guard !EventOwnership.platformServices.contains(source) else {
            throw refuse("the source of this entry is one of the platform's services, not an outside system")
        }
        var patterns: [EventTypePattern] = []
        for text in parts[1].split(separator: "|", omittingEmptySubsequences: false) {
            guard let pattern = EventTypePattern(text) else {
                throw refuse("a type pattern of this entry is neither an event type nor prefix.*")
            }
            guard !pattern.coversPlatformTypes else {
                let domains = EventOwnership.platformDomains.keys.sorted().map { "\($0).*" }.joined(separator: ", ")
                throw refuse("the platform's own event types (\(domains)) can never be ingested")
            }
            patterns.append(pattern)
        }
        let secret = String(parts[2])
        guard secret.count >= minimumSecretLength else {
            throw refuse("the secret of this entry is shorter than \(minimumSecretLength) characters")
        }
        return IngestionKey(source: source, patterns: patterns, secret: secret)
    }

    /// The key whose secret is `presented`, compared in time independent of where secrets differ; every key
    /// is compared, so the time does not tell which one matched either.
    package static func matching(_ presented: String, in keys: [IngestionKey]) -> IngestionKey? {
        let digest = Array(SHA256.hash(data: Array(presented.utf8)))
        var found: IngestionKey?
        for key in keys {
            let candidate = SHA256.hash(data: Array(key.secret.utf8))
            let difference = zip(digest, candidate).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) }
            if difference == 0 { found = key }
        }
        return found
    }
}

/// An event type pattern of an ingestion key: an exact type (`quote.created`) or every type under a prefix
/// (`quote.*` matches `quote.created` and `quote.line.added`).
package enum EventTypePattern: Sendable, Equatable, CustomStringConvertible {
    case exact(String)
    /// The prefix with its trailing dot (`quote.`).
    case prefix(String)

    /// Parses `quote.created` or `quote.*`; nil for anything else (a lone `*`, `quote*`, `Quote.*`).
    package init?(_ text: some StringProtocol) {
        if text.hasSuffix(".*") {
            let prefix = text.dropLast()
            // `quote.` is a valid prefix when `quote.x` is a valid type.
            guard EnvelopeValidator.isEventType(prefix + "x") else { return nil }
            self = .prefix(String(prefix))
        } else {
            guard EnvelopeValidator.isEventType(String(text)) else { return nil }
            self = .exact(String(text))
        }
    }

    package func matches(_ type: String) -> Bool {
        switch self {
        case .exact(let exact): type == exact
        case .prefix(let prefix): type.hasPrefix(prefix)
        }
    }

    /// Whether the pattern matches any of the platform's own event types.
    var coversPlatformTypes: Bool {
        switch self {
        case .exact(let type): EventOwnership.isPlatformType(type)
        case .prefix(let prefix): EventOwnership.isPlatformType(prefix)
        }
    }

    package var description: String {
        switch self {
        case .exact(let type): type
        case .prefix(let prefix): prefix + "*"
        }
    }
}

extension UInt8 {
    fileprivate var isLowercaseASCIILetter: Bool { (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(self) }
    fileprivate var isASCIIDigit: Bool { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(self) }
}
