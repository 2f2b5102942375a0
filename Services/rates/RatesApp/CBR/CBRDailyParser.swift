import Contracts
import Foundation
import ServiceKit

#if canImport(FoundationXML)
    import FoundationXML
#endif

/// Turns the bytes of an `XML_daily.asp` answer into a ``CBRDailySet``, refusing anything that is not a
/// complete, plausible CBR document: HTML pages, empty or cut-short bodies, other roots, impossible values.
package enum CBRDailyParser {
    /// Bodies larger than this are refused; a real set is about 10 KB.
    static let maxBodySize = 2 << 20
    /// Largest relative difference tolerated between `Value / Nominal` and CBR's own `VunitRate`.
    static let vunitTolerance = Decimal(string: "0.000001") ?? 0

    /// Parses `data` (windows-1251 unless the declaration says UTF-8).
    package static func parse(_ data: Data) throws(CBRError) -> CBRDailySet {
        let document = try xmlDocument(data)
        let parser = XMLParser(data: Data(document.utf8))
        let reader = ValCursReader()
        parser.delegate = reader
        let succeeded = parser.parse()
        if let root = reader.root, root != "ValCurs" { throw .unexpectedRoot(root) }
        if let error = parser.parserError {
            let code = (error as NSError).code
            throw .malformed("XML error \(code) at line \(parser.lineNumber), column \(parser.columnNumber)")
        }
        guard succeeded, reader.rootClosed else { throw .malformed("the document ends before </ValCurs>") }
        return try build(reader)
    }

    /// The document as text without its XML declaration, after checking it looks like XML at all.
    static func xmlDocument(_ data: Data) throws(CBRError) -> String {
        guard data.count <= maxBodySize else { throw .malformed("the body is larger than \(maxBodySize) bytes") }
        let head = String(decoding: data.prefix(200), as: UTF8.self).lowercased()
        let text: String?
        if head.hasPrefix("<?xml"), head.contains("encoding=\"utf-8\"") || head.contains("encoding='utf-8'") {
            text = String(data: data, encoding: .utf8)
        } else {
            text = String(data: data, encoding: .windowsCP1251)
        }
        guard var document = text else { throw .malformed("the body is not windows-1251 text") }
        document = document.trimmingCharacters(
            in: .whitespacesAndNewlines.union(CharacterSet(charactersIn: "\u{FEFF}"))
        )
        guard !document.isEmpty else { throw .emptyBody }
        let lowered = document.prefix(512).lowercased()
        if lowered.hasPrefix("<!doctype html") || lowered.contains("<html") {
            throw .notXML("an HTML page")
        }
        guard document.hasPrefix("<") else { throw .notXML("plain text") }
        if document.hasPrefix("<?xml") {
            guard let end = document.range(of: "?>") else { throw .malformed("the XML declaration is not closed") }
            document = String(document[end.upperBound...])
        }
        return document
    }

    /// The set from what the reader collected, after checking every currency.
    private static func build(_ reader: ValCursReader) throws(CBRError) -> CBRDailySet {
        guard !reader.valutes.isEmpty else { throw .emptySet }
        guard let dateText = reader.date else { throw .invalidValue("ValCurs has no Date") }
        guard let date = cbrDate(dateText) else { throw .invalidValue("ValCurs Date \"\(dateText)\"") }
        var rates: [CBRRate] = []
        var codes: Set<String> = []
        for fields in reader.valutes {
            let rate = try currency(fields)
            guard codes.insert(rate.code).inserted else { throw .invalidValue("\(rate.code) appears twice") }
            rates.append(rate)
        }
        return CBRDailySet(date: date, rates: rates)
    }

    /// One currency from its `Valute` fields; `rate` is cross-checked against `VunitRate` when present.
    private static func currency(_ fields: [String: String]) throws(CBRError) -> CBRRate {
        let code = fields["CharCode"] ?? ""
        guard CurrencyCode.isWellFormed(code) else { throw .invalidValue("CharCode \"\(code)\"") }
        guard let id = fields["ID"], !id.isEmpty else { throw .invalidValue("\(code) has no ID") }
        let numCode = fields["NumCode"] ?? ""
        guard !numCode.isEmpty, numCode.allSatisfy(\.isASCII), numCode.allSatisfy(\.isNumber) else {
            throw .invalidValue("\(code) NumCode \"\(numCode)\"")
        }
        guard let nominalText = fields["Nominal"], let nominal = Int(nominalText), nominal > 0 else {
            throw .invalidValue("\(code) Nominal \"\(fields["Nominal"] ?? "")\"")
        }
        guard let valueText = fields["Value"], let value = number(valueText), value > 0 else {
            throw .invalidValue("\(code) Value \"\(fields["Value"] ?? "")\"")
        }
        let name = fields["Name"] ?? ""
        guard !name.isEmpty else { throw .invalidValue("\(code) has no Name") }
        var vunitRate: Decimal?
        if let text = fields["VunitRate"] {
            guard let parsed = number(text), parsed > 0 else { throw .invalidValue("\(code) VunitRate \"\(text)\"") }
            vunitRate = parsed
        }
        let rate = CBRRate(
            id: id,
            numCode: numCode,
            code: code,
            nominal: nominal,
            name: name,
            value: value,
            vunitRate: vunitRate
        )
        if let vunitRate {
            let difference = abs(vunitRate - rate.rate)
            guard difference <= rate.rate * vunitTolerance else {
                throw .invalidValue("\(code) Value/Nominal \(rate.rate) disagrees with VunitRate \(vunitRate)")
            }
        }
        return rate
    }

    /// A CBR number: digits with a comma (or point) as decimal separator, optionally in scientific notation
    /// (`5,88139E-05`), as an exact `Decimal`.
    package static func number(_ text: String) -> Decimal? {
        let text = text.trimmingCharacters(in: .whitespaces)
        var mantissa = Substring(text)
        var exponent = 0
        if let marker = text.firstIndex(where: { $0 == "E" || $0 == "e" }) {
            mantissa = text[..<marker]
            let exponentText = text[text.index(after: marker)...]
            guard let parsed = Int(exponentText), abs(parsed) <= 60 else { return nil }
            exponent = parsed
        }
        let parts = mantissa.split(separator: ",", maxSplits: 1, omittingEmptySubsequences: false)
            .flatMap { $0.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false) }
        guard (1...2).contains(parts.count), let integer = parts.first, !integer.isEmpty else { return nil }
        let fraction = parts.count == 2 ? parts[1] : ""
        if parts.count == 2, fraction.isEmpty { return nil }
        let digits = integer + fraction
        guard digits.count <= 30, digits.allSatisfy({ $0.isASCII && $0.isNumber }),
            let significand = Decimal(string: String(digits))
        else { return nil }
        return Decimal(sign: .plus, exponent: exponent - fraction.count, significand: significand)
    }

    /// A CBR date `dd.mm.yyyy`.
    package static func cbrDate(_ text: String) -> CalendarDay? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 2, parts[1].count == 2, parts[2].count == 4,
            let day = Int(parts[0]), let month = Int(parts[1]), let year = Int(parts[2])
        else { return nil }
        return CalendarDay(year: year, month: month, day: day)
    }
}

/// Collects `ValCurs`/`Valute` while `XMLParser` walks the document; used by one parse on one task.
private final class ValCursReader: NSObject, XMLParserDelegate {
    private(set) var root: String?
    private(set) var rootClosed = false
    private(set) var date: String?
    private(set) var valutes: [[String: String]] = []
    private var current: [String: String]?
    private var text = ""
    private var depth = 0

    /// Notes the root and its `Date`, and opens a `Valute`; any other root stops the parse.
    func parser(
        _ parser: XMLParser,
        didStartElement elementName: String,
        namespaceURI: String?,
        qualifiedName qName: String?,
        attributes attributeDict: [String: String] = [:]
    ) {
        depth += 1
        text = ""
        if depth == 1 {
            root = elementName
            date = attributeDict["Date"]
            if elementName != "ValCurs" { parser.abortParsing() }
        } else if depth == 2, elementName == "Valute" {
            current = ["ID": attributeDict["ID"] ?? ""]
        }
    }

    /// Collects the text of the current element.
    func parser(_ parser: XMLParser, foundCharacters string: String) {
        text += string
    }

    /// Stores a field of the open `Valute`, closes it, or marks the root as complete.
    func parser(
        _ parser: XMLParser,
        didEndElement elementName: String,
        namespaceURI: String?,
        qualifiedName qName: String?
    ) {
        if depth == 3, current != nil {
            current?[elementName] = text.trimmingCharacters(in: .whitespacesAndNewlines)
        } else if depth == 2, elementName == "Valute", let current {
            valutes.append(current)
            self.current = nil
        } else if depth == 1 {
            rootClosed = true
        }
        text = ""
        depth -= 1
    }
}
