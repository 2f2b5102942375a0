import TestSupport
import Testing

@testable import ServiceKit

@Suite("Settings")
struct SettingsTests {
    /// What `compose/local` gives a service: development, with keys of its own.
    static let development = ["APP_ENV": "development"].merging(TestKeys.environment) { $1 }

    static func settings(_ overrides: [String: String]) -> Settings {
        Settings(environment: development.merging(overrides) { $1 })
    }

    @Test("defaults apply when nothing else is set")
    func defaults() throws {
        let configuration = try ServiceConfiguration(
            service: "users",
            defaultPort: 8081,
            settings: Self.settings([:])
        )
        #expect(configuration.http.port == 8081)
        #expect(configuration.http.requestTimeout == .seconds(30))
        #expect(configuration.postgres.port == 55432)
        #expect(configuration.postgres.poolSize == 8)
        #expect(configuration.redis.port == 56379)
        #expect(configuration.auth.publicKeys == [TestKeys.signing.publicKey])
        #expect(configuration.logging.format == .json)
    }

    @Test("a service-prefixed variable overrides the shared one")
    func servicePrefixWins() throws {
        let settings = Self.settings([
            "HTTP_PORT": "9000", "RATES_HTTP_PORT": "9100", "POSTGRES_USER": "shared",
        ])
        let rates = try ServiceConfiguration(service: "rates", defaultPort: 8082, settings: settings)
        let users = try ServiceConfiguration(service: "users", defaultPort: 8081, settings: settings)
        #expect(rates.http.port == 9100)
        #expect(users.http.port == 9000)
        #expect(rates.postgres.user == "shared")
    }

    @Test(
        "a bad value stops start-up naming the variable",
        arguments: [
            ("POSTGRES_PORT", "abc"), ("HTTP_PORT", "70000"), ("HTTP_REQUEST_TIMEOUT", "soon"),
            ("LOG_LEVEL", "loud"), ("POSTGRES_TLS", "maybe"), ("REDIS_CONNECTIONS", "0"), ("APP_ENV", "staging"),
        ]
    )
    func badValue(variable: String, value: String) {
        #expect {
            try ServiceConfiguration(
                service: "users",
                defaultPort: 8081,
                settings: Self.settings([variable: value])
            )
        } throws: { error in
            guard let error = error as? ConfigurationError else { return false }
            return error.variable == variable && error.description.contains(variable)
        }
    }

    @Test("the scoped variable is the one named when it is bad")
    func badScopedValue() {
        #expect(throws: ConfigurationError.self) {
            try ServiceConfiguration(
                service: "users",
                defaultPort: 8081,
                settings: Self.settings(["USERS_HTTP_PORT": "x"])
            )
        }
        do {
            _ = try ServiceConfiguration(
                service: "users",
                defaultPort: 8081,
                settings: Self.settings(["USERS_HTTP_PORT": "x"])
            )
        } catch let error as ConfigurationError {
            #expect(error.variable == "USERS_HTTP_PORT")
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test("durations accept units")
    func durations() {
        #expect(Settings.parseDuration("250ms") == .milliseconds(250))
        #expect(Settings.parseDuration("30s") == .seconds(30))
        #expect(Settings.parseDuration("5m") == .seconds(300))
        #expect(Settings.parseDuration("1.5") == .milliseconds(1500))
        #expect(Settings.parseDuration("2h") == .seconds(7200))
        #expect(Settings.parseDuration("-1s") == nil)
        #expect(Settings.parseDuration("later") == nil)
    }

    @Test("with APP_ENV unset a service runs as production and refuses to start, naming every missing secret")
    func productionByDefault() {
        #expect(throws: MissingSettings(variables: ["JWT_PUBLIC_KEYS", "POSTGRES_PASSWORD", "JWT_PRIVATE_KEY"])) {
            try ServiceConfiguration(
                service: "users",
                defaultPort: 8081,
                settings: Settings(environment: [:]),
                secrets: ["JWT_PRIVATE_KEY"]
            )
        }
        #expect(throws: MissingSettings(variables: ["POSTGRES_PASSWORD"])) {
            try ServiceConfiguration(
                service: "rates",
                defaultPort: 8082,
                settings: Settings(environment: TestKeys.environment)
            )
        }
    }

    @Test("production starts once every secret is set")
    func productionWithSecrets() throws {
        let configuration = try ServiceConfiguration(
            service: "users",
            defaultPort: 8081,
            settings: Settings(environment: TestKeys.environment.merging(["POSTGRES_PASSWORD": "pw"]) { $1 }),
            secrets: ["JWT_PRIVATE_KEY"]
        )
        #expect(configuration.environment == .production)
        #expect(configuration.auth.signingKey?.id == TestKeys.signing.id)
    }

    @Test("JWT keys are parsed; a private key whose public half is not published is refused, and never printed")
    func jwtKeys() throws {
        let other = try AuthSettings.SigningKey.generate(id: "k2")
        let configuration = try ServiceConfiguration(
            service: "users",
            defaultPort: 8081,
            settings: Self.settings([
                "JWT_PUBLIC_KEYS": "\(TestKeys.signing.publicKey.setting),\(other.publicKey.setting)",
                "JWT_PRIVATE_KEY": other.setting,
            ])
        )
        #expect(configuration.auth.publicKeys.map(\.id) == [TestKeys.signing.id, "k2"])
        #expect(configuration.auth.signingKey?.publicKey == other.publicKey)
        let secret = String(other.setting.split(separator: ":")[1])
        do {
            _ = try ServiceConfiguration(
                service: "users",
                defaultPort: 8081,
                settings: Self.settings(["JWT_PRIVATE_KEY": other.setting])
            )
            Issue.record("a private key without its public half was accepted")
        } catch let error as ConfigurationError {
            #expect(error.variable == "JWT_PRIVATE_KEY")
            #expect(!error.description.contains(secret))
        }
        for bad in ["k1", "k1:", "k1:not-base64!", "k1:AAAA"] {
            #expect {
                try ServiceConfiguration(
                    service: "rates",
                    defaultPort: 8082,
                    settings: Self.settings(["JWT_PUBLIC_KEYS": bad])
                )
            } throws: { error in
                (error as? ConfigurationError)?.variable == "JWT_PUBLIC_KEYS"
            }
        }
    }
}
