import CHiredis
import NIOCore

/// One argument of a command: text, an integer, or raw bytes (binary-safe).
package enum RedisArgument: Sendable, ExpressibleByStringLiteral, ExpressibleByIntegerLiteral {
    case string(String)
    case int(Int)
    case bytes(ByteBuffer)

    package init(stringLiteral value: String) { self = .string(value) }
    package init(integerLiteral value: Int) { self = .int(value) }

    fileprivate func append(to storage: inout [UInt8]) {
        switch self {
        case .string(let text): storage.append(contentsOf: text.utf8)
        case .int(let value): storage.append(contentsOf: String(value).utf8)
        case .bytes(let buffer): storage.append(contentsOf: buffer.readableBytesView)
        }
    }
}

/// A command with its arguments, encoded to RESP by hiredis' `redisFormatCommandArgv`.
package struct RedisCommand: Sendable {
    package var arguments: [RedisArgument]

    package init(_ name: String, _ arguments: [RedisArgument] = []) {
        self.arguments = [.string(name)] + arguments
    }

    /// The command's name, for logs and metrics.
    package var name: String {
        if case .string(let name) = arguments.first { return name }
        return "?"
    }

    /// Appends the RESP encoding of the command to `buffer`.
    package func encode(into buffer: inout ByteBuffer) throws(RedisError) {
        var storage: [UInt8] = []
        var offsets: [Int] = []
        var lengths: [Int] = []
        offsets.reserveCapacity(arguments.count)
        lengths.reserveCapacity(arguments.count)
        for argument in arguments {
            let start = storage.count
            argument.append(to: &storage)
            offsets.append(start)
            lengths.append(storage.count - start)
        }
        // hiredis reads each argument through a pointer into `storage`: one allocation for all arguments.
        let written = storage.withUnsafeBufferPointer { bytes -> Bool in
            guard let base = bytes.baseAddress else { return false }
            let raw = UnsafeRawPointer(base)
            var pointers: [UnsafePointer<CChar>?] = offsets.map { (raw + $0).assumingMemoryBound(to: CChar.self) }
            var target: UnsafeMutablePointer<CChar>? = nil
            let length = redisFormatCommandArgv(&target, Int32(arguments.count), &pointers, lengths)
            guard length >= 0, let target else { return false }
            defer { redisFreeCommand(target) }
            buffer.writeBytes(UnsafeRawBufferPointer(start: target, count: Int(length)))
            return true
        }
        guard written else { throw .protocolError("hiredis could not encode \(name)") }
    }
}
