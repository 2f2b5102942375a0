/// Russian company identifiers, checked as the tax service defines them.
enum OrganizationDetails {
    /// ИНН: 10 digits with one check digit (organizations) or 12 digits with two (individuals); ASCII digits
    /// only (`wholeNumberValue` alone would take Arabic-Indic or full-width ones).
    static func isValidINN(_ inn: String) -> Bool {
        let digits = inn.compactMap { $0.isASCII ? $0.wholeNumberValue : nil }
        guard digits.count == inn.count else { return false }
        func check(_ weights: [Int], _ count: Int) -> Int {
            zip(weights, digits.prefix(count)).reduce(0) { $0 + $1.0 * $1.1 } % 11 % 10
        }
        switch digits.count {
        case 10:
            return check([2, 4, 10, 3, 5, 9, 4, 6, 8], 9) == digits[9]
        case 12:
            return check([7, 2, 4, 10, 3, 5, 9, 4, 6, 8], 10) == digits[10]
                && check([3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8], 11) == digits[11]
        default:
            return false
        }
    }

    /// КПП: 9 characters, four digits (tax office), two digits or capital Latin letters (reason), three digits.
    static func isValidKPP(_ kpp: String) -> Bool {
        let characters = Array(kpp)
        guard characters.count == 9 else { return false }
        let isDigit: (Character) -> Bool = { $0.isASCII && $0.isNumber }
        let isReason: (Character) -> Bool = { isDigit($0) || ($0.isASCII && $0.isUppercase) }
        return characters[0..<4].allSatisfy(isDigit) && characters[4..<6].allSatisfy(isReason)
            && characters[6..<9].allSatisfy(isDigit)
    }
}
