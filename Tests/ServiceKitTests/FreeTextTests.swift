import ServiceKit
import Testing

/// The one free-text rule: text that looks like what it is.
@Suite("Free text")
struct FreeTextTests {
    @Test(
        "ordinary text in any script is accepted, joiners inside words and emoji included",
        arguments: [
            "Иван Петров", "ООО «Ромашка»", "Café au lait", "می\u{200C}خواهم", "क्\u{200D}ष", "👨\u{200D}👩\u{200D}👧",
            "12\u{200D}34", "Tab-free, one line",
        ]
    )
    func accepted(text: String) {
        #expect(FreeText.problem(in: text, multiline: false) == nil)
    }

    @Test(
        "control, bidirectional and invisible characters are refused",
        arguments: [
            ("Admin\u{202E}nimda", "bidirectional"), ("\u{2066}x\u{2069}", "bidirectional"),
            ("a\u{202A}b", "bidirectional"), ("a\u{0}b", "control"), ("a\u{7}b", "control"),
            ("a\u{7F}b", "control"), ("a\u{85}b", "control"), ("a\u{9F}b", "control"), ("a\u{200B}b", "invisible"),
            ("\u{200D}start", "invisible"), ("end\u{200C}", "invisible"), ("a \u{200D} b", "invisible"),
            ("\u{FEFF}bom", "invisible"), ("soft\u{AD}hyphen", "invisible"), ("a\u{200E}b", "invisible"),
            ("line\nbreak", "one line"), ("tab\there", "one line"),
        ]
    )
    func refused(text: String, reason: String) {
        #expect(FreeText.problem(in: text, multiline: false)?.contains(reason) == true)
    }

    @Test("multi-line fields take line breaks and tabs, and nothing else more")
    func multiline() {
        #expect(FreeText.problem(in: "first line\r\nsecond\tline", multiline: true) == nil)
        #expect(FreeText.problem(in: "first\nAdmin\u{202E}", multiline: true) != nil)
        #expect(FreeText.problem(in: "bell\u{7}", multiline: true) != nil)
    }
}
