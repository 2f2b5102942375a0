import Foundation
import NIOCore

/// An IPv4 or IPv6 network in CIDR notation (`10.0.0.0/8`, `::1/128`); a bare address is a /32 or /128.
package struct IPNetwork: Sendable, Equatable {
    private let bytes: [UInt8]
    private let prefixLength: Int

    package init?(_ text: String) {
        let parts = text.split(separator: "/", maxSplits: 1).map(String.init)
        guard let bytes = Self.parseAddress(parts[0]) else { return nil }
        let maximum = bytes.count * 8
        let prefix = parts.count == 2 ? Int(parts[1]) : maximum
        guard let prefix, (0...maximum).contains(prefix) else { return nil }
        self.bytes = bytes
        self.prefixLength = prefix
    }

    /// Whether `address` (4 or 16 bytes) lies in this network.
    package func contains(_ address: [UInt8]) -> Bool {
        guard address.count == bytes.count else { return false }
        var remaining = prefixLength
        for index in bytes.indices where remaining > 0 {
            let bits = min(8, remaining)
            let mask = UInt8(truncatingIfNeeded: 0xFF << (8 - bits))
            if address[index] & mask != bytes[index] & mask { return false }
            remaining -= bits
        }
        return true
    }

    /// The bytes of an IPv4 or IPv6 address; an IPv4-mapped IPv6 address gives its 4 IPv4 bytes.
    package static func parseAddress(_ text: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            return withUnsafeBytes(of: &v4) { Array($0) }
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 {
            let bytes = withUnsafeBytes(of: &v6) { Array($0) }
            if bytes[0..<10].allSatisfy({ $0 == 0 }) && bytes[10] == 0xFF && bytes[11] == 0xFF {
                return Array(bytes[12...])
            }
            return bytes
        }
        return nil
    }
}

/// Who is on the other end of a request, as far as the trusted proxies let us see.
package enum ClientAddress {
    /// The caller's address: when the peer is a trusted proxy, the right-most `X-Forwarded-For` entry that is
    /// not itself a trusted proxy (entries further left can be forged by the caller); otherwise the peer.
    package static func resolve(peer: SocketAddress?, forwardedFor: String?, trusted: [IPNetwork]) -> String? {
        let peerAddress = peer?.ipAddress
        guard let peerAddress, let peerBytes = IPNetwork.parseAddress(peerAddress),
            trusted.contains(where: { $0.contains(peerBytes) }), let forwardedFor
        else { return peerAddress }
        let hops = forwardedFor.split(separator: ",").map(\.trimmingOptionalWhitespace)
        for hop in hops.reversed() {
            guard let bytes = IPNetwork.parseAddress(hop) else { return peerAddress }
            if !trusted.contains(where: { $0.contains(bytes) }) { return hop }
        }
        return hops.first ?? peerAddress
    }
}
