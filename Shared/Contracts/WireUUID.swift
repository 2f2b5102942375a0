import Foundation

extension UUID {
    /// The one text form of a UUID on the wire, in bodies, events, CSV, cursors and headers: lower case (RFC
    /// 9562's output form). Foundation's `uuidString` is upper case; reading accepts either.
    public var wireString: String { uuidString.lowercased() }
}

/// Every synthesized `Encodable` conformance in a module that imports Contracts writes its `UUID` and
/// `UUID?` properties through these overloads (more specific than `encode<T: Encodable>`), so bodies carry
/// ``Foundation/UUID/wireString`` without a custom `encode(to:)` in every type. A `[UUID]` property needs its own
/// (see ``IngestionReceipt``).
extension KeyedEncodingContainer {
    /// Writes `value` in its wire form.
    public mutating func encode(_ value: UUID, forKey key: Key) throws {
        try encode(value.wireString, forKey: key)
    }

    /// Writes `value` in its wire form, or nothing when it is nil.
    public mutating func encodeIfPresent(_ value: UUID?, forKey key: Key) throws {
        try encodeIfPresent(value?.wireString, forKey: key)
    }
}
