extension StringProtocol {
    /// The text without leading and trailing spaces and tabs (HTTP's optional whitespace). Done in Swift:
    /// Foundation's `trimmingCharacters(in:)` goes through NSString on Linux, which is slow on a request path.
    package var trimmingOptionalWhitespace: String {
        let isOptionalWhitespace: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let first = firstIndex(where: { !isOptionalWhitespace($0) }),
            let last = lastIndex(where: { !isOptionalWhitespace($0) })
        else { return "" }
        return String(self[first...last])
    }
}
