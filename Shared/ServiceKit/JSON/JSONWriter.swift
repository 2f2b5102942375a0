import Contracts
import Foundation
import NIOCore

/// Writes compact JSON into a buffer, as `ContractJSON`'s encoder would: strings escaped as JSON requires
/// (quote, backslash, control characters; slashes and non-ASCII text left as they are). The one hand-written
/// JSON writer: the activity log's pages and export stream rows with it, and every log line is written with it.
package struct JSONWriter {
    package private(set) var buffer: ByteBuffer
    /// Whether the next member or element needs a comma before it.
    private var needsComma = false

    package init(capacity: Int) {
        buffer = ByteBuffer()
        buffer.reserveCapacity(capacity)
    }

    package mutating func beginObject() {
        buffer.writeInteger(UInt8(ascii: "{"))
        needsComma = false
    }

    package mutating func endObject() {
        buffer.writeInteger(UInt8(ascii: "}"))
        needsComma = true
    }

    package mutating func beginArray() {
        buffer.writeInteger(UInt8(ascii: "["))
        needsComma = false
    }

    package mutating func endArray() {
        buffer.writeInteger(UInt8(ascii: "]"))
        needsComma = true
    }

    /// Writes the comma before an array element when one is due.
    package mutating func separate() {
        if needsComma { buffer.writeInteger(UInt8(ascii: ",")) }
        needsComma = false
    }

    package mutating func key(_ name: StaticString) {
        separate()
        buffer.writeInteger(UInt8(ascii: "\""))
        buffer.writeStaticString(name)
        buffer.writeStaticString("\":")
        needsComma = false
    }

    /// A key only known at run time, escaped like any string.
    package mutating func key(_ name: String) {
        separate()
        string(name)
        buffer.writeInteger(UInt8(ascii: ":"))
        needsComma = false
    }

    /// Copies `json`, already valid JSON, as a value.
    package mutating func raw(_ json: String) {
        buffer.writeString(json)
        needsComma = true
    }

    package mutating func field(_ name: StaticString, _ value: String?) {
        guard let value else { return }
        key(name)
        string(value)
    }

    package mutating func field(_ name: StaticString, _ value: UUID?) {
        guard let value else { return }
        key(name)
        uuid(value)
    }

    /// A UUID as a string, in its wire form (lower case).
    package mutating func uuid(_ value: UUID) {
        buffer.writeInteger(UInt8(ascii: "\""))
        buffer.writeString(value.wireString)
        buffer.writeInteger(UInt8(ascii: "\""))
        needsComma = true
    }

    package mutating func field(_ name: StaticString, _ value: Int) {
        key(name)
        buffer.writeString(String(value))
        needsComma = true
    }

    package mutating func field(_ name: StaticString, _ value: Bool) {
        key(name)
        buffer.writeStaticString(value ? "true" : "false")
        needsComma = true
    }

    package mutating func string(_ value: String) {
        buffer.writeInteger(UInt8(ascii: "\""))
        var value = value
        value.withUTF8 { bytes in
            var start = 0
            for index in bytes.indices {
                let byte = bytes[index]
                guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
                buffer.writeBytes(UnsafeBufferPointer(rebasing: bytes[start..<index]))
                switch byte {
                case UInt8(ascii: "\""): buffer.writeStaticString("\\\"")
                case UInt8(ascii: "\\"): buffer.writeStaticString("\\\\")
                case 0x0A: buffer.writeStaticString("\\n")
                case 0x0D: buffer.writeStaticString("\\r")
                case 0x09: buffer.writeStaticString("\\t")
                case 0x08: buffer.writeStaticString("\\b")
                case 0x0C: buffer.writeStaticString("\\f")
                default:
                    let hex = Array("0123456789abcdef".utf8)
                    buffer.writeStaticString("\\u00")
                    buffer.writeInteger(hex[Int(byte >> 4)])
                    buffer.writeInteger(hex[Int(byte & 0x0F)])
                }
                start = index + 1
            }
            buffer.writeBytes(UnsafeBufferPointer(rebasing: bytes[start..<bytes.count]))
        }
        buffer.writeInteger(UInt8(ascii: "\""))
        needsComma = true
    }
}
