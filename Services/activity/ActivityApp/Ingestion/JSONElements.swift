/// Finds the elements of a top-level JSON array without parsing them: one pass over the bytes that tracks
/// strings, escapes and nesting. Ingestion uses it to store each accepted envelope exactly as it was sent.
enum JSONElements {
    /// The byte ranges of the top-level array's elements (whitespace trimmed), or nil when `bytes` is not an
    /// array. It does not validate JSON; the decoder does that.
    static func split(_ bytes: [UInt8]) -> [Range<Int>]? {
        var index = 0
        skipWhitespace(bytes, &index)
        guard index < bytes.count, bytes[index] == UInt8(ascii: "[") else { return nil }
        index += 1
        var ranges: [Range<Int>] = []
        var depth = 0
        var inString = false
        var escaped = false
        var start: Int? = nil
        while index < bytes.count {
            let byte = bytes[index]
            if inString {
                if escaped {
                    escaped = false
                } else if byte == UInt8(ascii: "\\") {
                    escaped = true
                } else if byte == UInt8(ascii: "\"") {
                    inString = false
                }
            } else {
                switch byte {
                case UInt8(ascii: "\""):
                    inString = true
                    if start == nil { start = index }
                case UInt8(ascii: "{"), UInt8(ascii: "["):
                    depth += 1
                    if start == nil { start = index }
                case UInt8(ascii: "}"):
                    depth -= 1
                case UInt8(ascii: "]") where depth == 0:
                    if let first = start { ranges.append(first..<trimmedEnd(bytes, index)) }
                    return ranges
                case UInt8(ascii: "]"):
                    depth -= 1
                case UInt8(ascii: ",") where depth == 0:
                    if let first = start { ranges.append(first..<trimmedEnd(bytes, index)) }
                    start = nil
                case UInt8(ascii: " "), UInt8(ascii: "\n"), UInt8(ascii: "\r"), UInt8(ascii: "\t"):
                    break
                default:
                    if start == nil { start = index }
                }
            }
            index += 1
        }
        return nil
    }

    private static func skipWhitespace(_ bytes: [UInt8], _ index: inout Int) {
        while index < bytes.count, bytes[index].isJSONWhitespace { index += 1 }
    }

    private static func trimmedEnd(_ bytes: [UInt8], _ end: Int) -> Int {
        var end = end
        while end > 0, bytes[end - 1].isJSONWhitespace { end -= 1 }
        return end
    }
}

extension UInt8 {
    /// JSON's whitespace: space, line feed, carriage return, tab.
    var isJSONWhitespace: Bool { self == 0x20 || self == 0x0A || self == 0x0D || self == 0x09 }
}
