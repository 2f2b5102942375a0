import Contracts
import Foundation

/// Writes RFC 4180 CSV (comma-separated, CRLF line ends, fields with a comma, semicolon, quote or line break quoted,
/// quotes doubled), safe to open in a spreadsheet: a cell starting with `=`, `+`, `-`, `@`, tab or CR is
/// prefixed with `'` so it is shown as text and never evaluated as a formula.
enum CSVWriter {
    /// The header row of an activity export.
    static let header = [
        "id", "occurred_at", "user_id", "user_email", "action", "resource_type", "resource_id", "event_type",
        "ip", "user_agent", "request_id", "source", "payload",
    ]

    /// The UTF-8 byte order mark, so spreadsheet programs read Cyrillic text correctly.
    static let byteOrderMark = "\u{FEFF}"

    /// One CSV record, with its line end.
    static func row(_ fields: [String]) -> String {
        fields.map(escape).joined(separator: ",") + "\r\n"
    }

    /// One field: neutralized against formula injection, then quoted if needed.
    static func escape(_ field: String) -> String {
        var value = field
        if let first = value.unicodeScalars.first, ["=", "+", "-", "@", "\t", "\r"].contains(first) {
            value = "'" + value
        }
        // `;` too: Excel in a Russian locale splits on it.
        guard
            value.contains(where: { $0 == "," || $0 == ";" || $0 == "\"" || $0 == "\n" || $0 == "\r" || $0 == "\r\n" })
        else {
            return value
        }
        return "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
