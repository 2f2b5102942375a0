import Foundation

extension Decimal {
    /// The value rounded half away from zero to `scale` decimal places.
    package func rounded(scale: Int) -> Decimal {
        var value = self
        var result = Decimal()
        NSDecimalRound(&result, &value, scale, .plain)
        return result
    }
}

extension TimeZone {
    /// Europe/Moscow, where the business keeps its days and months (UTC+3 all year since 2014; the fixed
    /// offset is the fallback when tzdata is missing).
    package static let moscow = TimeZone(identifier: "Europe/Moscow") ?? TimeZone(secondsFromGMT: 3 * 3600) ?? .gmt
}

extension Sequence<UInt8> {
    /// The bytes as lowercase hex, two digits each (digests in keys, ETags, script names).
    package var hexString: String {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        text.reserveCapacity(underestimatedCount * 2)
        for byte in self {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}
