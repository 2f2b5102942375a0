import Foundation

extension Decimal {
    /// The one text form of money and rates on the wire, in bodies and events alike: the exact decimal as a
    /// string, an optional minus and digits with a point only when there are decimals (`"87.48"`, `"100"`,
    /// `"0.01079266746"`; never an exponent). A JSON number would reach a JavaScript client as a double and
    /// lose digits; a string keeps every one.
    public var wireString: String { description }

    /// Reads the wire form back; nil for anything else (exponents, spaces, a comma, an empty string).
    public init?(wireString text: String) {
        guard Self.isWireForm(text), let value = Decimal(string: text, locale: Locale(identifier: "en_US_POSIX"))
        else { return nil }
        self = value
    }

    /// `-?digits(.digits)?`, checked by hand: `Decimal(string:)` alone takes "1e5" and stops at junk.
    private static func isWireForm(_ text: String) -> Bool {
        var bytes = Substring(text).utf8[...]
        if bytes.first == UInt8(ascii: "-") { bytes = bytes.dropFirst() }
        let parts = bytes.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard parts.count <= 2 else { return false }
        return parts.allSatisfy { part in !part.isEmpty && part.allSatisfy { (0x30...0x39).contains($0) } }
    }
}

/// Every synthesized `Codable` conformance in a module that imports Contracts writes its `Decimal`,
/// `Decimal?` and `[String: Decimal]` properties through these overloads (more specific than the generic
/// ones), so every answer carries ``Foundation/Decimal/wireString`` without a custom `encode(to:)` per type.
extension KeyedEncodingContainer {
    /// Writes `value` in its wire form.
    public mutating func encode(_ value: Decimal, forKey key: Key) throws {
        try encode(value.wireString, forKey: key)
    }

    /// Writes `value` in its wire form, or nothing when it is nil.
    public mutating func encodeIfPresent(_ value: Decimal?, forKey key: Key) throws {
        try encodeIfPresent(value?.wireString, forKey: key)
    }

    /// Writes each value of `map` in its wire form.
    public mutating func encode(_ map: [String: Decimal], forKey key: Key) throws {
        try encode(map.mapValues(\.wireString), forKey: key)
    }
}

/// The reading side of the overloads above, for clients of the contracts (tests, the demo): only the wire form
/// is accepted, so a number where a string belongs is a decoding error, not silently taken.
extension KeyedDecodingContainer {
    /// Reads a decimal in its wire form.
    public func decode(_ type: Decimal.Type, forKey key: Key) throws -> Decimal {
        try Self.decimal(try decode(String.self, forKey: key), key: key, in: self)
    }

    /// Reads a decimal in its wire form, or nil when the key is absent or null.
    public func decodeIfPresent(_ type: Decimal.Type, forKey key: Key) throws -> Decimal? {
        guard let text = try decodeIfPresent(String.self, forKey: key) else { return nil }
        return try Self.decimal(text, key: key, in: self)
    }

    /// Reads a map of decimals in their wire form.
    public func decode(_ type: [String: Decimal].Type, forKey key: Key) throws -> [String: Decimal] {
        try decode([String: String].self, forKey: key).mapValues { try Self.decimal($0, key: key, in: self) }
    }

    private static func decimal(_ text: String, key: Key, in container: Self) throws -> Decimal {
        guard let value = Decimal(wireString: text) else {
            throw DecodingError.dataCorruptedError(
                forKey: key,
                in: container,
                debugDescription: "\(text) is not an exact decimal string"
            )
        }
        return value
    }
}
