import ServiceKit
import Testing

@testable import ActivityApp

@Suite("ACTIVITY_INGEST_KEYS: scoped ingestion keys")
struct IngestionKeyTests {
    static func settings(_ keys: String?, environment: DeploymentEnvironment = .production) throws -> ActivitySettings {
        try ActivitySettings(
            settings: Settings(environment: keys.map { ["ACTIVITY_INGEST_KEYS": $0] } ?? [:]),
            environment: environment
        )
    }

    /// The error for `keys`, checked to hold none of `secrets`.
    static func refusal(_ keys: String, secrets: [String]) throws -> ConfigurationError {
        let error = try #require(throws: ConfigurationError.self) { try Self.settings(keys) }
        #expect(error.variable == "ACTIVITY_INGEST_KEYS")
        for secret in secrets {
            #expect(!error.description.contains(secret), "the error shows a secret: \(error)")
        }
        return error
    }

    @Test("entries name a source, its type patterns and a secret that may hold colons")
    func parses() throws {
        let settings = try Self.settings(
            "quoting-core:quote.*|customer.*|invoice.paid:s3cret:with:colons-0123 , crm-2:deal.*:another-secret-0123"
        )
        #expect(
            settings.ingestKeys == [
                IngestionKey(
                    source: "quoting-core",
                    patterns: [.prefix("quote."), .prefix("customer."), .exact("invoice.paid")],
                    secret: "s3cret:with:colons-0123"
                ),
                IngestionKey(source: "crm-2", patterns: [.prefix("deal.")], secret: "another-secret-0123"),
            ]
        )
        #expect(!settings.usesDevelopmentIngestKey)
    }

    @Test(
        "a malformed entry stops the service, and the error never shows its secret",
        arguments: [
            "just-a-secret-of-old-0123",
            "quoting-core:a-secret-without-patterns",
            "Quoting-Core:quote.*:a-long-enough-secret",
            "quoting core:quote.*:a-long-enough-secret",
            ":quote.*:a-long-enough-secret",
            "quoting-core::a-long-enough-secret",
            "quoting-core:quote.*|:a-long-enough-secret",
            "quoting-core:*:a-long-enough-secret",
            "quoting-core:quote*:a-long-enough-secret",
            "quoting-core:Quote.created:a-long-enough-secret",
            "quoting-core:quote:a-long-enough-secret",
            "quoting-core:quote.*:short-secret",
            "quoting-core:quote.*:a-long-enough-secret,crm:deal.*:a-long-enough-secret",
        ]
    )
    func malformed(keys: String) throws {
        let secrets = keys.split(separator: ",").map { entry in
            String(entry.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false).last ?? "")
        }
        _ = try Self.refusal(keys, secrets: secrets.filter { !$0.isEmpty } + ["a-long-enough", "just-a-secret"])
    }

    @Test(
        "a key may never list the platform's own event types",
        arguments: [
            "users.*", "users.role_changed", "organizations.*", "rates.*", "rates.published", "feedback.*",
            "activity.exported", "quote.*|rates.*",
        ]
    )
    func platformPatterns(patterns: String) throws {
        let error = try Self.refusal("crm:\(patterns):a-long-enough-secret-0", secrets: ["a-long-enough-secret-0"])
        #expect(error.description.contains("platform's own event types"))
    }

    @Test(
        "a key may not speak for one of the platform's services",
        arguments: ["rates", "users", "activity", "dashboard"]
    )
    func platformSources(source: String) throws {
        let error = try Self.refusal("\(source):quote.*:a-long-enough-secret-0", secrets: ["a-long-enough-secret-0"])
        #expect(error.description.contains("platform's services"))
    }

    @Test("two entries may not share a secret")
    func sharedSecret() throws {
        let error = try Self.refusal(
            "quoting-core:quote.*:the-same-secret-0123,crm:deal.*:the-same-secret-0123",
            secrets: ["the-same-secret-0123"]
        )
        #expect(error.description.contains("same secret"))
    }

    @Test("unset: the quoting core's development key in development, a refusal in production")
    func developmentDefault() throws {
        let settings = try Self.settings(nil, environment: .development)
        #expect(settings.usesDevelopmentIngestKey)
        #expect(
            settings.ingestKeys == [
                IngestionKey(
                    source: "quoting-core",
                    patterns: [.prefix("quote."), .prefix("customer.")],
                    secret: "dev-ingest-key"
                )
            ]
        )
        #expect(throws: ConfigurationError.self) { try Self.settings(nil) }
    }

    @Test("patterns match an exact type or every type under a prefix, never a platform event")
    func matching() throws {
        let key = try IngestionKey.parse(
            "quoting-core:quote.*|customer.created:a-long-enough-secret",
            number: 1,
            variable: "ACTIVITY_INGEST_KEYS"
        )
        #expect(key.allows(type: "quote.created"))
        #expect(key.allows(type: "quote.line.added"))
        #expect(key.allows(type: "customer.created"))
        #expect(!key.allows(type: "customer.deleted"))
        #expect(!key.allows(type: "quotes.created"))
        #expect(!key.allows(type: "rates.published"))
        #expect(EventTypePattern("quote.*")?.description == "quote.*")
    }

    @Test("a presented secret finds its key; another finds none")
    func lookup() throws {
        let keys = try Self.settings("quoting-core:quote.*:first-secret-0123,crm:deal.*:second-secret-0123").ingestKeys
        #expect(IngestionKey.matching("second-secret-0123", in: keys)?.source == "crm")
        #expect(IngestionKey.matching("first-secret-0123", in: keys)?.source == "quoting-core")
        #expect(IngestionKey.matching("first-secret-012", in: keys) == nil)
        #expect(IngestionKey.matching("", in: keys) == nil)
    }
}
