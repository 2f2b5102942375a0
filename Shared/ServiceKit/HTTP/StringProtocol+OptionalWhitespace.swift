extension StringProtocol {
    /// The text without leading and trailing optional whitespace (space and tab, RFC 9110 `OWS`). Works on
    /// UTF-8 bytes: header values such as access tokens are long, and nothing here needs characters.
    package var trimmingOptionalWhitespace: String {
        let text = Substring(self)
        let bytes = text.utf8
        var start = bytes.startIndex
        var end = bytes.endIndex
        while start < end, Self.isOptionalWhitespace(bytes[start]) { bytes.formIndex(after: &start) }
        while start < end {
            let last = bytes.index(before: end)
            guard Self.isOptionalWhitespace(bytes[last]) else { break }
            end = last
        }
        return String(text[start..<end])
    }

    private static func isOptionalWhitespace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 }
}
