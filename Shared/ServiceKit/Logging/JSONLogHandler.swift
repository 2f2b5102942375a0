import Contracts
import Foundation
import Logging
import NIOCore
import Synchronization

/// Writes one JSON object per log line to stdout: `ts`, `level`, `service`, `instance`, `logger`, `msg`,
/// then every metadata key (the request id among them on request paths).
package struct JSONLogHandler: LogHandler {
    package var metadata: Logger.Metadata = [:]
    package var logLevel: Logger.Level
    private let label: String
    private let service: String
    private let instance: String
    private let output: LogOutput

    package init(
        label: String,
        service: String,
        instance: String,
        level: Logger.Level,
        output: LogOutput = .standardOutput
    ) {
        self.label = label
        self.service = service
        self.instance = instance
        self.logLevel = level
        self.output = output
    }

    package subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    package func log(event: LogEvent) {
        var line = JSONWriter(capacity: 256)
        line.beginObject()
        line.field("ts", Timestamp.format(Date()))
        line.field("level", event.level.rawValue)
        line.field("service", service)
        line.field("instance", instance)
        line.field("logger", label)
        line.field("msg", event.message.description)
        var merged = self.metadata
        if let extra = event.metadata { merged.merge(extra) { _, new in new } }
        for (key, value) in merged.sorted(by: { $0.key < $1.key }) {
            line.key(key)
            line.metadata(value)
        }
        if let error = event.error { line.field("error", String(reflecting: error)) }
        if event.level >= .error { line.field("source", "\(event.file):\(event.line)") }
        line.endObject()
        var bytes = line.buffer
        bytes.writeInteger(UInt8(ascii: "\n"))
        output.write(bytes)
    }
}

/// Where log lines go: one locked, unbuffered write per line so lines from many threads never interleave.
package final class LogOutput: Sendable {
    private let lock = Mutex<Void>(())
    private let descriptor: Int32

    package init(descriptor: Int32) {
        self.descriptor = descriptor
    }

    package static let standardOutput = LogOutput(descriptor: STDOUT_FILENO)

    func write(_ line: ByteBuffer) {
        lock.withLock { _ in
            line.withUnsafeReadableBytes { buffer in
                guard let base = buffer.baseAddress else { return }
                var offset = 0
                while offset < buffer.count {
                    let written = Foundation.write(descriptor, base + offset, buffer.count - offset)
                    if written <= 0 { return }
                    offset += written
                }
            }
        }
    }
}

extension JSONWriter {
    /// A log metadata value: strings as strings, arrays and dictionaries (keys sorted) as JSON.
    mutating func metadata(_ value: Logger.MetadataValue) {
        switch value {
        case .string(let string): self.string(string)
        case .stringConvertible(let convertible): self.string(convertible.description)
        case .array(let values):
            beginArray()
            for element in values {
                separate()
                metadata(element)
            }
            endArray()
        case .dictionary(let dictionary):
            beginObject()
            for (key, element) in dictionary.sorted(by: { $0.key < $1.key }) {
                self.key(key)
                metadata(element)
            }
            endObject()
        }
    }
}
