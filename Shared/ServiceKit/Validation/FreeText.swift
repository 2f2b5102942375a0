/// The one rule for free text in every service: what a person types is stored and shown to other people, so
/// it must look like what it is. Checked on Unicode scalars, the units Postgres counts in `char_length`.
///
/// Refused: C0 and C1 control characters and DEL (line feed, carriage return and tab only in multi-line
/// fields); bidirectional overrides and isolates (U+202A–U+202E, U+2066–U+2069), which make a name display as
/// something else; and every other invisible format character (general category Cf: marks such as U+200E,
/// U+FEFF, U+00AD), except a zero-width joiner or non-joiner inside a word (between two letters, marks, digits
/// or symbols: Persian and Indic spellings, emoji sequences).
package enum FreeText {
    /// Why `text` is not acceptable free text, or nil when it is.
    package static func problem(in text: String, multiline: Bool) -> String? {
        let scalars = Array(text.unicodeScalars)
        for (index, scalar) in scalars.enumerated() {
            switch scalar.value {
            case 0x0A, 0x0D, 0x09:
                if !multiline { return "must be one line of text" }
            case 0x00...0x1F, 0x7F...0x9F:
                return "must not contain control characters"
            case 0x202A...0x202E, 0x2066...0x2069:
                return "must not contain bidirectional control characters"
            case 0x200C, 0x200D:
                let inWord =
                    index > 0 && index < scalars.count - 1 && isWordPart(scalars[index - 1])
                    && isWordPart(scalars[index + 1])
                if !inWord { return "must not contain invisible characters" }
            default:
                if scalar.properties.generalCategory == .format { return "must not contain invisible characters" }
            }
        }
        return nil
    }

    private static func isWordPart(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter,
            .nonspacingMark, .spacingMark, .enclosingMark, .decimalNumber, .otherSymbol:
            true
        default:
            false
        }
    }
}
