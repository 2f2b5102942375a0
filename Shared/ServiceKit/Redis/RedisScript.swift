import Crypto

/// A Lua script run with `EVALSHA`; its SHA-1 is computed once, here, so the first call needs no round trip.
package struct RedisScript: Sendable {
    /// The Lua source.
    package let source: String
    /// The lowercase hex SHA-1 of the source, as Redis names it.
    package let sha1: String

    package init(_ source: String) {
        self.source = source
        self.sha1 = Insecure.SHA1.hash(data: Array(source.utf8)).hexString
    }
}
