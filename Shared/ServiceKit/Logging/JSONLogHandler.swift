import Contracts
import Foundation
import Logging
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
        var line = "{\"ts\":"
        JSONText.appendString(Timestamp.format(Date()), to: &line)
        line += ",\"level\":"
        JSONText.appendString(event.level.rawValue, to: &line)
        line += ",\"service\":"
        JSONText.appendString(service, to: &line)
        line += ",\"instance\":"
        JSONText.appendString(instance, to: &line)
        line += ",\"logger\":"
        JSONText.appendString(label, to: &line)
        line += ",\"msg\":"
        JSONText.appendString(event.message.description, to: &line)
        var merged = self.metadata
        if let extra = event.metadata { merged.merge(extra) { _, new in new } }
        for (key, value) in merged.sorted(by: { $0.key < $1.key }) {
            line += ","
            JSONText.appendString(key, to: &line)
            line += ":"
            JSONText.append(value, to: &line)
        }
        if let error = event.error {
            line += ",\"error\":"
            JSONText.appendString(String(reflecting: error), to: &line)
        }
        if event.level >= .error {
            line += ",\"source\":"
            JSONText.appendString("\(event.file):\(event.line)", to: &line)
        }
        line += "}\n"
        output.write(line)
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

    func write(_ line: String) {
        var line = line
        lock.withLock { _ in
            line.withUTF8 { buffer in
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

/// Minimal JSON text writing for log lines, without a round trip through `JSONEncoder`.
enum JSONText {
    static func append(_ value: Logger.MetadataValue, to output: inout String) {
        switch value {
        case .string(let string): appendString(string, to: &output)
        case .stringConvertible(let convertible): appendString(convertible.description, to: &output)
        case .array(let values):
            output += "["
            for (index, element) in values.enumerated() {
                if index > 0 { output += "," }
                append(element, to: &output)
            }
            output += "]"
        case .dictionary(let dictionary):
            output += "{"
            for (index, (key, element)) in dictionary.sorted(by: { $0.key < $1.key }).enumerated() {
                if index > 0 { output += "," }
                appendString(key, to: &output)
                output += ":"
                append(element, to: &output)
            }
            output += "}"
        }
    }

    static func appendString(_ string: String, to output: inout String) {
        output += "\""
        for scalar in string.unicodeScalars {
            switch scalar {
            case "\"": output += "\\\""
            case "\\": output += "\\\\"
            case "\n": output += "\\n"
            case "\r": output += "\\r"
            case "\t": output += "\\t"
            case _ where scalar.value < 0x20:
                output +=
                    "\\u" + String(repeating: "0", count: 4 - String(scalar.value, radix: 16).count)
                    + String(scalar.value, radix: 16)
            default: output.unicodeScalars.append(scalar)
            }
        }
        output += "\""
    }
}
