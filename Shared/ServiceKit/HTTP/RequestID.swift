import Foundation
import HTTPTypes
import Hummingbird
import Synchronization

extension HTTPField.Name {
    /// `X-Request-ID`: correlates a request across the proxy, services, logs and events.
    package static let requestID = constant("X-Request-ID")
    /// `X-Forwarded-For`: the client and proxies a request passed through, as the proxies report them.
    package static let xForwardedFor = constant("X-Forwarded-For")
    /// `X-Forwarded-Proto`: the scheme the client used to reach the proxy (`https` or `http`).
    package static let xForwardedProto = constant("X-Forwarded-Proto")
    /// `X-Api-Key`: the credential of systems outside this repository.
    package static let apiKey = constant("X-Api-Key")

    /// A header name written in the source, valid by construction.
    static func constant(_ name: String) -> HTTPField.Name {
        guard let field = HTTPField.Name(name) else { preconditionFailure("invalid header name \(name)") }
        return field
    }
}

/// Request ids: the caller's `X-Request-ID` when it looks like an id (8 to 64 of `A-Z a-z 0-9 . _ -`, the
/// proxy's rule too), otherwise a new one, so a caller cannot write arbitrary text into logs and events.
package enum RequestID {
    /// The id to use for a request that carried `header`.
    package static func resolve(_ header: String?) -> String {
        header.flatMap(accepted) ?? generate()
    }

    /// A random process key, drawn once; ids differ between processes through it.
    private static let processKey = (UInt64.random(in: .min ... .max), UInt64.random(in: .min ... .max))
    private static let counter = Atomic<UInt64>(0)

    /// A new id in the shape of a version 4 UUID (lowercase), made without a system call: `UUID()` reads
    /// `/dev/urandom` on every call, and this runs on every request. The first half is the process key; the
    /// second a counter put through splitmix64's finalizer (a bijection, so ids do not repeat within a process
    /// before 2^62 of them) and mixed with the key.
    static func generate() -> String {
        let count = counter.wrappingAdd(1, ordering: .relaxed).oldValue
        var mixed = (count ^ processKey.1) &+ 0x9E37_79B9_7F4A_7C15
        mixed = (mixed ^ (mixed >> 30)) &* 0xBF58_476D_1CE4_E5B9
        mixed = (mixed ^ (mixed >> 27)) &* 0x94D0_49BB_1331_11EB
        mixed ^= mixed >> 31
        let high = (processKey.0 & ~0xF000) | 0x4000
        let low = (mixed & 0x3FFF_FFFF_FFFF_FFFF) | 0x8000_0000_0000_0000
        return String(unsafeUninitializedCapacity: 36) { buffer in
            let digits: StaticString = "0123456789abcdef"
            var position = 0
            func write(_ value: UInt64, nibbles: Int) {
                for shift in stride(from: (nibbles - 1) * 4, through: 0, by: -4) {
                    buffer[position] = digits.utf8Start[Int((value >> UInt64(shift)) & 0xF)]
                    position += 1
                }
            }
            func dash() {
                buffer[position] = UInt8(ascii: "-")
                position += 1
            }
            write(high >> 32, nibbles: 8)
            dash()
            write(high >> 16, nibbles: 4)
            dash()
            write(high, nibbles: 4)
            dash()
            write(low >> 48, nibbles: 4)
            dash()
            write(low, nibbles: 12)
            return position
        }
    }

    static func accepted(_ candidate: String) -> String? {
        guard (8...64).contains(candidate.utf8.count),
            candidate.utf8.allSatisfy({ byte in
                (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                    || byte == 0x2D || byte == 0x2E || byte == 0x5F
            })
        else { return nil }
        return candidate
    }
}
