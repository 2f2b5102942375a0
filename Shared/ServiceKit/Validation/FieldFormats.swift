import Foundation

/// Formats shared by the services' validation: email addresses, web addresses and phone numbers.
package enum FieldFormats {
    /// A pragmatic email check: one `@`, a local part of 1 to 64 characters, a domain with a dot and no
    /// spaces, 254 characters at most. Returns the address trimmed, with the domain lowercased.
    package static func email(_ text: String) -> String? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let parts = trimmed.split(separator: "@", omittingEmptySubsequences: false)
        guard trimmed.count <= 254, parts.count == 2, (1...64).contains(parts[0].count) else { return nil }
        let local = parts[0]
        let domain = parts[1].lowercased()
        let labels = domain.split(separator: ".", omittingEmptySubsequences: false)
        guard labels.count >= 2, labels.allSatisfy({ !$0.isEmpty && $0.count <= 63 }),
            !local.contains(where: { $0.isWhitespace || $0 == "<" || $0 == ">" || $0 == "," || $0 == ";" }),
            domain.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "." }),
            !labels.contains(where: { $0.hasPrefix("-") || $0.hasSuffix("-") }),
            labels.last.map({ $0.count >= 2 && $0.allSatisfy(\.isLetter) }) == true
        else { return nil }
        return "\(local)@\(domain)"
    }

    /// An absolute `http` or `https` URL with a host; a bare host (`example.ru`) gets `https://` put in front
    /// when `assumeHTTPS` is set.
    package static func webURL(_ text: String, assumeHTTPS: Bool = false) -> String? {
        var candidate = text.trimmingCharacters(in: .whitespaces)
        if assumeHTTPS, !candidate.contains("://") { candidate = "https://" + candidate }
        guard !candidate.contains(where: \.isWhitespace), let components = URLComponents(string: candidate),
            let scheme = components.scheme?.lowercased(), scheme == "http" || scheme == "https",
            let host = components.host, host.contains(".") || host == "localhost", !host.hasPrefix("."),
            !host.hasSuffix(".")
        else { return nil }
        return candidate
    }

    /// A phone number in E.164 (`+74951234567`). Russian numbers are accepted as people write them:
    /// `8 (495) 123-45-67`, `+7 495 1234567`, `495 123 45 67`; other countries need a leading `+`.
    package static func phone(_ text: String) -> String? {
        let allowedPunctuation: Set<Character> = [" ", "-", "(", ")", ".", "\u{00A0}"]
        var digits = ""
        var plus = false
        for (index, character) in text.trimmingCharacters(in: .whitespaces).enumerated() {
            if character == "+" && index == 0 {
                plus = true
            } else if character.isASCII, character.isNumber {
                digits.append(character)
            } else if !allowedPunctuation.contains(character) {
                return nil
            }
        }
        if plus {
            if digits.hasPrefix("7") { return digits.count == 11 ? "+" + digits : nil }
            return (8...15).contains(digits.count) && !digits.hasPrefix("0") ? "+" + digits : nil
        }
        switch digits.count {
        case 11 where digits.hasPrefix("8") || digits.hasPrefix("7"): return "+7" + digits.dropFirst()
        case 10 where !digits.hasPrefix("0"): return "+7" + digits
        default: return nil
        }
    }
}
