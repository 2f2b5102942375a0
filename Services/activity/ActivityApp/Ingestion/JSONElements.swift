import Foundation

/// Finds the elements of a top-level JSON array, and the members of an object, without parsing them: one pass
/// over the bytes that tracks strings, escapes and nesting. Ingestion uses it to store each accepted envelope
/// exactly as it was sent, and to measure what a decoder does not tell.
package enum JSONElements {
    /// The byte ranges of the top-level array's elements (whitespace trimmed), or nil when `bytes` is not an
    /// array. It does not validate JSON; the decoder does that.
    package static func split(_ bytes: [UInt8]) -> [Range<Int>]? {
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

    /// The members of the JSON object at `range` of `bytes`, each key unescaped (as every JSON reader reads
    /// it) with the byte range of its value, in the order written; nil when the range is not an object. Meant
    /// for JSON a decoder already accepted: it checks the structure, not every value.
    static func members(_ bytes: [UInt8], in range: Range<Int>) -> [(key: String, value: Range<Int>)]? {
        var index = range.lowerBound
        let end = range.upperBound
        skipWhitespace(bytes, &index, end: end)
        guard index < end, bytes[index] == UInt8(ascii: "{") else { return nil }
        index += 1
        var members: [(key: String, value: Range<Int>)] = []
        skipWhitespace(bytes, &index, end: end)
        if index < end, bytes[index] == UInt8(ascii: "}") { return members }
        while index < end {
            guard bytes[index] == UInt8(ascii: "\""), let keyEnd = stringEnd(bytes, from: index, end: end),
                let key = unescapedString(bytes[index..<keyEnd])
            else { return nil }
            index = keyEnd
            skipWhitespace(bytes, &index, end: end)
            guard index < end, bytes[index] == UInt8(ascii: ":") else { return nil }
            index += 1
            skipWhitespace(bytes, &index, end: end)
            guard let valueEnd = valueEnd(bytes, from: index, end: end) else { return nil }
            members.append((key, index..<valueEnd))
            index = valueEnd
            skipWhitespace(bytes, &index, end: end)
            guard index < end else { return nil }
            switch bytes[index] {
            case UInt8(ascii: ","):
                index += 1
                skipWhitespace(bytes, &index, end: end)
            case UInt8(ascii: "}"):
                return members
            default:
                return nil
            }
        }
        return nil
    }

    /// The end of the string whose opening quote is at `start` (just past its closing quote).
    private static func stringEnd(_ bytes: [UInt8], from start: Int, end: Int) -> Int? {
        var index = start + 1
        while index < end {
            switch bytes[index] {
            case UInt8(ascii: "\\"): index += 2
            case UInt8(ascii: "\""): return index + 1
            default: index += 1
            }
        }
        return nil
    }

    /// The end of the value that starts at `start`: a string, an object or array with all it nests, or a
    /// literal or number (which runs to the next delimiter).
    private static func valueEnd(_ bytes: [UInt8], from start: Int, end: Int) -> Int? {
        guard start < end else { return nil }
        switch bytes[start] {
        case UInt8(ascii: "\""):
            return stringEnd(bytes, from: start, end: end)
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            var depth = 0
            var index = start
            while index < end {
                switch bytes[index] {
                case UInt8(ascii: "\""):
                    guard let next = stringEnd(bytes, from: index, end: end) else { return nil }
                    index = next
                    continue
                case UInt8(ascii: "{"), UInt8(ascii: "["):
                    depth += 1
                case UInt8(ascii: "}"), UInt8(ascii: "]"):
                    depth -= 1
                    if depth == 0 { return index + 1 }
                default:
                    break
                }
                index += 1
            }
            return nil
        default:
            var index = start
            while index < end, ![UInt8(ascii: ","), UInt8(ascii: "}"), UInt8(ascii: "]")].contains(bytes[index]),
                !bytes[index].isJSONWhitespace
            {
                index += 1
            }
            return index > start ? index : nil
        }
    }

    /// The text of a JSON string literal (quotes included in `literal`), escapes resolved.
    private static func unescapedString(_ literal: ArraySlice<UInt8>) -> String? {
        let content = literal.dropFirst().dropLast()
        guard content.contains(UInt8(ascii: "\\")) else { return String(validating: content, as: UTF8.self) }
        return try? JSONDecoder().decode(String.self, from: Data(literal))
    }

    private static func skipWhitespace(_ bytes: [UInt8], _ index: inout Int, end: Int) {
        while index < end, bytes[index].isJSONWhitespace { index += 1 }
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
