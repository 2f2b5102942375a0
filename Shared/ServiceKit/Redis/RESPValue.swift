import CHiredis
import NIOCore

/// A reply from Redis (RESP2), converted from hiredis' reply tree into a Swift value.
package enum RESPValue: Sendable, Equatable {
    case simpleString(String)
    case error(String)
    case integer(Int)
    case bulkString(ByteBuffer)
    case null
    case array([RESPValue])

    /// The reply as text: a bulk or simple string, or an integer's digits.
    package var string: String? {
        switch self {
        case .bulkString(let buffer): String(buffer: buffer)
        case .simpleString(let string): string
        case .integer(let value): String(value)
        default: nil
        }
    }

    /// The reply as an integer: an integer reply or a bulk string of digits.
    package var int: Int? {
        switch self {
        case .integer(let value): value
        case .bulkString(let buffer): Int(String(buffer: buffer))
        default: nil
        }
    }

    /// The raw bytes of a bulk or simple string.
    package var bytes: ByteBuffer? {
        switch self {
        case .bulkString(let buffer): buffer
        case .simpleString(let string): ByteBuffer(string: string)
        default: nil
        }
    }

    /// The elements of an array reply.
    package var array: [RESPValue]? {
        if case .array(let values) = self { return values }
        return nil
    }

    /// Whether the reply is the null bulk string or null array.
    package var isNull: Bool { self == .null }

    /// Copies a hiredis reply tree; the caller keeps ownership of `reply`.
    init(reply: UnsafePointer<redisReply>) {
        let reply = reply.pointee
        switch reply.type {
        case REDIS_REPLY_STRING:
            self = .bulkString(ByteBuffer(bytes: UnsafeRawBufferPointer(start: reply.str, count: reply.len)))
        case REDIS_REPLY_STATUS:
            self = .simpleString(Self.text(reply))
        case REDIS_REPLY_ERROR:
            self = .error(Self.text(reply))
        case REDIS_REPLY_INTEGER:
            self = .integer(Int(reply.integer))
        case REDIS_REPLY_ARRAY:
            var elements: [RESPValue] = []
            elements.reserveCapacity(reply.elements)
            for index in 0..<reply.elements {
                if let element = reply.element[index] {
                    elements.append(RESPValue(reply: element))
                } else {
                    elements.append(.null)
                }
            }
            self = .array(elements)
        default:
            self = .null
        }
    }

    private static func text(_ reply: redisReply) -> String {
        String(decoding: UnsafeRawBufferPointer(start: reply.str, count: reply.len), as: UTF8.self)
    }
}
