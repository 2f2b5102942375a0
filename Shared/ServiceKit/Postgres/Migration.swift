/// One step of a service's schema, applied once, in order, and recorded in `<schema>.schema_migrations`.
///
/// Statements are static SQL written in the service's code (never built from input); each runs as its own
/// statement inside the single migration transaction.
package struct Migration: Sendable {
    /// Position in the service's history; versions start at 1 and never change once released.
    package let version: Int
    /// A short description (`create_outbox`).
    package let name: String
    /// The SQL statements, run in order.
    package let statements: [String]

    package init(_ version: Int, _ name: String, _ statements: [String]) {
        self.version = version
        self.name = name
        self.statements = statements
    }

    /// A fingerprint of the statements, so a migration edited after release is detected.
    package var checksum: String {
        String(fnv1a64(statements.joined(separator: "\n;\n")), radix: 16)
    }
}

/// The 64-bit FNV-1a hash of `text`'s UTF-8 bytes: stable across processes and builds, unlike `hashValue`.
func fnv1a64(_ text: String) -> UInt64 {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in text.utf8 {
        hash ^= UInt64(byte)
        hash &*= 0x0000_0100_0000_01b3
    }
    return hash
}
