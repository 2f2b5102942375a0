import Configuration
import Foundation

/// Reads service settings from environment variables (or a dictionary, in tests).
///
/// Every lookup first tries the variable prefixed with the service name (`USERS_POSTGRES_USER`), then the
/// shared one (`POSTGRES_USER`), then the documented default. A value that is present but not valid throws a
/// ``ConfigurationError`` naming the variable, so a service never starts on a silently ignored setting.
package struct Settings: Sendable {
    private let reader: ConfigReader
    private let names: Set<String>
    /// The prefix tried first, e.g. `USERS`; nil reads only the shared names.
    package let servicePrefix: String?

    /// Settings from `environment` (the process environment by default).
    package init(
        environment: [String: String] = ProcessInfo.processInfo.environment,
        servicePrefix: String? = nil
    ) {
        self.reader = ConfigReader(provider: EnvironmentVariablesProvider(environmentVariables: environment))
        self.names = Set(environment.keys)
        self.servicePrefix = servicePrefix
    }

    private init(reader: ConfigReader, names: Set<String>, servicePrefix: String?) {
        self.reader = reader
        self.names = names
        self.servicePrefix = servicePrefix
    }

    /// The same settings, looking first at variables prefixed with `prefix` (`USERS` reads `USERS_HTTP_PORT`).
    package func scoped(to prefix: String) -> Settings {
        Settings(reader: reader, names: names, servicePrefix: prefix.uppercased())
    }

    /// The variable actually set for `name` and its value, or nil when neither the scoped nor the shared one is.
    package func raw(_ name: String, secret: Bool = false) -> (variable: String, value: String)? {
        for variable in candidates(name) where names.contains(variable) {
            if let value = reader.string(forKey: ConfigKey([variable]), isSecret: secret) {
                return (variable, value)
            }
        }
        return nil
    }

    private func candidates(_ name: String) -> [String] {
        guard let servicePrefix else { return [name] }
        return ["\(servicePrefix)_\(name)", name]
    }

    /// A string, or `default` when unset. Empty strings count as set.
    package func string(_ name: String, default defaultValue: String, secret: Bool = false) -> String {
        raw(name, secret: secret)?.value ?? defaultValue
    }

    /// A string, or nil when unset or empty.
    package func optionalString(_ name: String, secret: Bool = false) -> String? {
        guard let value = raw(name, secret: secret)?.value, !value.isEmpty else { return nil }
        return value
    }

    /// An integer within `range`, or `default` when unset.
    package func int(_ name: String, default defaultValue: Int, in range: ClosedRange<Int>) throws -> Int {
        guard let (variable, text) = raw(name) else { return defaultValue }
        guard let value = Int(text.trimmingCharacters(in: .whitespaces)), range.contains(value) else {
            throw ConfigurationError(
                variable: variable,
                value: text,
                expected: "an integer from \(range.lowerBound) to \(range.upperBound)"
            )
        }
        return value
    }

    /// A duration (`30`, `1.5` in seconds, or `250ms`, `30s`, `5m`, `2h`, `7d`) within `range`.
    package func duration(
        _ name: String,
        default defaultValue: Duration,
        in range: ClosedRange<Duration> = .zero ... .seconds(365 * 86_400)
    ) throws -> Duration {
        guard let (variable, text) = raw(name) else { return defaultValue }
        guard let value = Self.parseDuration(text), range.contains(value) else {
            throw ConfigurationError(
                variable: variable,
                value: text,
                expected: "a duration such as 30s, 250ms, 5m (from \(range.lowerBound) to \(range.upperBound))"
            )
        }
        return value
    }

    /// A boolean (`true`/`false`, `1`/`0`, `yes`/`no`, `on`/`off`), or `default` when unset.
    package func bool(_ name: String, default defaultValue: Bool) throws -> Bool {
        guard let (variable, text) = raw(name) else { return defaultValue }
        switch text.lowercased() {
        case "true", "1", "yes", "on": return true
        case "false", "0", "no", "off": return false
        default: throw ConfigurationError(variable: variable, value: text, expected: "true or false")
        }
    }

    /// A comma-separated list with blanks dropped, or `default` when unset.
    package func list(_ name: String, default defaultValue: [String], secret: Bool = false) -> [String] {
        guard let (_, text) = raw(name, secret: secret) else { return defaultValue }
        return text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    /// One of the raw values of `T`, or `default` when unset.
    package func choice<T: RawRepresentable & CaseIterable>(
        _ name: String,
        default defaultValue: T
    ) throws -> T where T.RawValue == String {
        guard let (variable, text) = raw(name) else { return defaultValue }
        guard let value = T(rawValue: text.lowercased()) else {
            throw ConfigurationError(
                variable: variable,
                value: text,
                expected: "one of " + T.allCases.map(\.rawValue).joined(separator: ", ")
            )
        }
        return value
    }

    static func parseDuration(_ text: String) -> Duration? {
        let text = text.trimmingCharacters(in: .whitespaces).lowercased()
        let units: [(suffix: String, seconds: Double)] = [
            ("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600), ("d", 86_400),
        ]
        for unit in units where text.hasSuffix(unit.suffix) {
            guard let number = Double(text.dropLast(unit.suffix.count)), number >= 0, number.isFinite else {
                return nil
            }
            return .milliseconds(Int64((number * unit.seconds * 1000).rounded()))
        }
        guard let seconds = Double(text), seconds >= 0, seconds.isFinite else { return nil }
        return .milliseconds(Int64((seconds * 1000).rounded()))
    }
}

/// A setting that is present but not usable; the service stops with this one line.
package struct ConfigurationError: Error, CustomStringConvertible, Equatable {
    /// The environment variable that holds the bad value.
    package var variable: String
    /// The value as given (empty when it is a secret).
    package var value: String
    /// What would have been accepted.
    package var expected: String

    package init(variable: String, value: String, expected: String) {
        self.variable = variable
        self.value = value
        self.expected = expected
    }

    package var description: String {
        "invalid configuration: \(variable)=\"\(value)\" is not accepted; expected \(expected)"
    }
}
