import Testing

@testable import ServiceKit

@Suite("Settings")
struct SettingsTests {
    @Test("defaults apply when nothing is set")
    func defaults() throws {
        let configuration = try ServiceConfiguration(
            service: "users",
            defaultPort: 8081,
            settings: Settings(environment: [:])
        )
        #expect(configuration.http.port == 8081)
        #expect(configuration.http.requestTimeout == .seconds(30))
        #expect(configuration.postgres.port == 55432)
        #expect(configuration.postgres.poolSize == 8)
        #expect(configuration.redis.port == 56379)
        #expect(configuration.auth.usesDevelopmentKey)
        #expect(configuration.logging.format == .json)
    }

    @Test("a service-prefixed variable overrides the shared one")
    func servicePrefixWins() throws {
        let settings = Settings(environment: [
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
                settings: Settings(environment: [variable: value])
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
                settings: Settings(environment: ["USERS_HTTP_PORT": "x"])
            )
        }
        do {
            _ = try ServiceConfiguration(
                service: "users",
                defaultPort: 8081,
                settings: Settings(environment: ["USERS_HTTP_PORT": "x"])
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

    @Test("production refuses to start without signing keys")
    func productionNeedsKeys() {
        #expect(throws: ConfigurationError.self) {
            try ServiceConfiguration(
                service: "users",
                defaultPort: 8081,
                settings: Settings(environment: ["APP_ENV": "production"])
            )
        }
    }

    @Test("JWT keys are parsed, short secrets refused, and the error hides the secret")
    func jwtKeys() throws {
        let secret = String(repeating: "s", count: 40)
        let configuration = try ServiceConfiguration(
            service: "users",
            defaultPort: 8081,
            settings: Settings(environment: ["JWT_KEYS": "k1:\(secret),k2:\(secret)x", "JWT_SIGNING_KEY_ID": "k2"])
        )
        #expect(configuration.auth.keys.map(\.id) == ["k1", "k2"])
        #expect(configuration.auth.signingKeyID == "k2")
        #expect(!configuration.auth.usesDevelopmentKey)
        do {
            _ = try ServiceConfiguration(
                service: "users",
                defaultPort: 8081,
                settings: Settings(environment: ["JWT_KEYS": "k1:short-secret"])
            )
            Issue.record("a short secret was accepted")
        } catch let error as ConfigurationError {
            #expect(error.variable == "JWT_KEYS")
            #expect(!error.description.contains("short-secret"))
        }
    }
}
