/// ISO 4217 letter codes, as every service reads and writes them: three capital ASCII letters.
public enum CurrencyCode {
    /// The Russian ruble: the base of every CBR rate, and the currency of the dashboard's figures.
    public static let ruble = "RUB"

    /// Whether `code` is three ASCII capital letters.
    public static func isWellFormed(_ code: String) -> Bool {
        code.utf8.count == 3 && code.utf8.allSatisfy { (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains($0) }
    }
}
