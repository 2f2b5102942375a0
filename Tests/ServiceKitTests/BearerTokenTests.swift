import Testing

@testable import ServiceKit

/// Reading the token out of `Authorization` values, byte by byte.
@Suite("Bearer token header")
struct BearerTokenTests {
    @Test(
        "the scheme in any case, optional whitespace around the token",
        arguments: [
            ("Bearer abc.def.ghi", "abc.def.ghi"), ("bearer abc", "abc"), ("BEARER abc", "abc"),
            ("Bearer  abc\t", "abc"), ("bEaReR \tabc ", "abc"),
        ]
    )
    func accepted(header: String, token: String) {
        #expect(AuthenticationMiddleware<ServiceRequestContext>.bearerToken(header) == token)
    }

    @Test(
        "anything else is refused",
        arguments: ["Basic abc", "Bearer", "Bearer ", "Bearer \t ", "Bearerabc", "", "Веарер abc", "Bearer\tabc"]
    )
    func refused(header: String) {
        #expect(AuthenticationMiddleware<ServiceRequestContext>.bearerToken(header) == nil)
    }

    @Test("trimming optional whitespace keeps everything between the first and last other byte")
    func trimming() {
        #expect(" \t a b \t".trimmingOptionalWhitespace == "a b")
        #expect("\t \t".trimmingOptionalWhitespace == "")
        #expect("ключ ".trimmingOptionalWhitespace == "ключ")
        #expect("x"[...].trimmingOptionalWhitespace == "x")
    }
}
