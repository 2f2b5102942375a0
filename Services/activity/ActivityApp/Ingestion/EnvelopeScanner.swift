import Contracts
import Foundation

/// Reads a batch of envelopes in the shape well-behaved senders use, in one pass over the bytes and without
/// Foundation's decoder (which took a third of the activity service's time under ingestion load).
///
/// It is strict: it accepts only valid JSON and only what `JSONDecoder` would decode to the same
/// ``IncomingEnvelope``. Anything unusual (an escape inside a field it reads, a number with a fraction where
/// an integer goes, a timestamp in another form, a key twice, invalid UTF-8) makes it give up, and the
/// caller decodes with `JSONDecoder`, which also words the errors.
enum EnvelopeScanner {
    /// The envelopes in `elements` of `body`, or nil when any of them, or the array around them, needs the
    /// general decoder.
    static func envelopes(in body: [UInt8], elements: [Range<Int>], isBatch: Bool) -> [IncomingEnvelope]? {
        body.withUnsafeBufferPointer { bytes in
            if isBatch && !separatorsAreValid(bytes, elements) { return nil }
            var envelopes: [IncomingEnvelope] = []
            envelopes.reserveCapacity(elements.count)
            for range in elements {
                var reader = Reader(bytes: bytes, position: range.lowerBound, end: range.upperBound)
                reader.skipsUnknownMembers = false
                guard let envelope = try? reader.envelope(), reader.atEnd else { return nil }
                envelopes.append(envelope)
            }
            return envelopes
        }
    }

    /// Whether the bytes around the elements are exactly `[`, commas between elements, `]` and whitespace.
    static func separatorsAreValid(_ bytes: UnsafeBufferPointer<UInt8>, _ elements: [Range<Int>]) -> Bool {
        var position = 0
        func skipWhitespace() {
            while position < bytes.count, bytes[position].isJSONWhitespace { position += 1 }
        }
        skipWhitespace()
        guard position < bytes.count, bytes[position] == UInt8(ascii: "[") else { return false }
        position += 1
        for (index, element) in elements.enumerated() {
            skipWhitespace()
            if index > 0 {
                guard position < bytes.count, bytes[position] == UInt8(ascii: ",") else { return false }
                position += 1
                skipWhitespace()
            }
            guard position == element.lowerBound else { return false }
            position = element.upperBound
        }
        skipWhitespace()
        guard position < bytes.count, bytes[position] == UInt8(ascii: "]") else { return false }
        position += 1
        skipWhitespace()
        return position == bytes.count
    }

    /// Thrown to give up on the fast path; never reaches a client.
    struct Unusual: Error {}

    struct Reader {
        let bytes: UnsafeBufferPointer<UInt8>
        var position: Int
        let end: Int
        /// Nesting allowed inside skipped values; deeper documents go to the general decoder.
        static let maxDepth = 64
        /// Where the envelope's `payload` JSON is, once read.
        var payloadText: Range<Int>?
        /// Whether members the envelope does not define are skipped (the stream: a newer producer may add
        /// some) or left to the general decoder, which refuses them by name (ingestion).
        var skipsUnknownMembers = true

        init(bytes: UnsafeBufferPointer<UInt8>, position: Int, end: Int) {
            self.bytes = bytes
            self.position = position
            self.end = end
        }

        var atEnd: Bool {
            mutating get {
                skipWhitespace()
                return position == end
            }
        }

        // MARK: Envelope

        mutating func envelope() throws(Unusual) -> IncomingEnvelope {
            var id: UUID?
            var type: String?
            var version: Int?
            var occurredAt: Date?
            var source: EventSource?
            var organizationID: UUID??
            var actor: EventActor??
            var requestID: String??
            var resource: EventResource?
            var action: EventAction?
            var payloadIsObject: Bool?
            try object { reader, key throws(Unusual) in
                switch key {
                case "id": try Self.once(&id, reader.uuid())
                case "type": try Self.once(&type, reader.string())
                case "version": try Self.once(&version, reader.integer())
                case "occurred_at": try Self.once(&occurredAt, reader.timestamp())
                case "source": try Self.once(&source, reader.source())
                case "organization_id":
                    try Self.once(&organizationID, reader.nullable { r throws(Unusual) in try r.uuid() })
                case "actor": try Self.once(&actor, reader.nullable { r throws(Unusual) in try r.actor() })
                case "request_id": try Self.once(&requestID, reader.nullable { r throws(Unusual) in try r.string() })
                case "resource": try Self.once(&resource, reader.resource())
                case "action":
                    guard let value = EventAction(rawValue: try reader.string()) else { throw Unusual() }
                    try Self.once(&action, value)
                case "payload":
                    reader.skipWhitespace()
                    let start = reader.position
                    let isObject = reader.position < reader.end && reader.bytes[reader.position] == UInt8(ascii: "{")
                    try reader.skipValue(depth: 0)
                    try Self.once(&payloadIsObject, isObject)
                    reader.payloadText = start..<reader.position
                default: try reader.unknownMember(depth: 0)
                }
            }
            guard let id, let type, let version, let occurredAt, let source, let resource, let action,
                let payloadIsObject, let payloadText
            else { throw Unusual() }
            return IncomingEnvelope(
                id: id,
                type: type,
                version: version,
                occurredAt: occurredAt,
                source: source,
                organizationID: organizationID.flatMap { $0 },
                actor: actor.flatMap { $0 },
                requestID: requestID.flatMap { $0 },
                resource: resource,
                action: action,
                payloadIsObject: payloadIsObject,
                payloadSize: payloadText.count
            )
        }

        mutating func source() throws(Unusual) -> EventSource {
            var service: String?
            var instance: String??
            try object { reader, key throws(Unusual) in
                switch key {
                case "service": try Self.once(&service, reader.string())
                case "instance": try Self.once(&instance, reader.nullable { r throws(Unusual) in try r.string() })
                default: try reader.unknownMember(depth: 1)
                }
            }
            guard let service else { throw Unusual() }
            return EventSource(service: service, instance: instance.flatMap { $0 })
        }

        mutating func resource() throws(Unusual) -> EventResource {
            var type: String?
            var id: String??
            try object { reader, key throws(Unusual) in
                switch key {
                case "type": try Self.once(&type, reader.string())
                case "id": try Self.once(&id, reader.nullable { r throws(Unusual) in try r.string() })
                default: try reader.unknownMember(depth: 1)
                }
            }
            guard let type else { throw Unusual() }
            return EventResource(type: type, id: id.flatMap { $0 })
        }

        mutating func actor() throws(Unusual) -> EventActor {
            var userID: UUID??
            var email: String??
            var ip: String??
            var userAgent: String??
            try object { reader, key throws(Unusual) in
                switch key {
                case "user_id": try Self.once(&userID, reader.nullable { r throws(Unusual) in try r.uuid() })
                case "email": try Self.once(&email, reader.nullable { r throws(Unusual) in try r.string() })
                case "ip": try Self.once(&ip, reader.nullable { r throws(Unusual) in try r.string() })
                case "user_agent": try Self.once(&userAgent, reader.nullable { r throws(Unusual) in try r.string() })
                default: try reader.unknownMember(depth: 1)
                }
            }
            return EventActor(
                userID: userID.flatMap { $0 },
                email: email.flatMap { $0 },
                ip: ip.flatMap { $0 },
                userAgent: userAgent.flatMap { $0 }
            )
        }

        /// Sets a field read from a key, giving up when the key came before (decoders differ on which wins).
        static func once<Value>(_ field: inout Value?, _ value: Value) throws(Unusual) {
            guard field == nil else { throw Unusual() }
            field = value
        }

        // MARK: Values

        /// Reads an object, calling `member` with the reader placed on each key's value.
        mutating func object(_ member: (inout Reader, String) throws(Unusual) -> Void) throws(Unusual) {
            try expect(UInt8(ascii: "{"))
            skipWhitespace()
            if try peek() == UInt8(ascii: "}") {
                position += 1
                return
            }
            while true {
                let key = try string()
                try expect(UInt8(ascii: ":"))
                try member(&self, key)
                skipWhitespace()
                switch try next() {
                case UInt8(ascii: ","): continue
                case UInt8(ascii: "}"): return
                default: throw Unusual()
                }
            }
        }

        /// `null`, or what `read` reads.
        mutating func nullable<Value>(_ read: (inout Reader) throws(Unusual) -> Value) throws(Unusual) -> Value? {
            skipWhitespace()
            if try peek() == UInt8(ascii: "n") {
                try literal("null")
                return nil
            }
            return try read(&self)
        }

        /// A string without escapes (a string with one goes to the general decoder), checked to be UTF-8.
        mutating func string() throws(Unusual) -> String {
            let range = try stringContent()
            let content = UnsafeBufferPointer(rebasing: bytes[range])
            var ascii = true
            for byte in content {
                if byte == UInt8(ascii: "\\") { throw Unusual() }
                if byte >= 0x80 { ascii = false }
            }
            if ascii { return String(decoding: content, as: UTF8.self) }
            guard let text = String(validating: content, as: UTF8.self) else { throw Unusual() }
            return text
        }

        /// A UUID in its 8-4-4-4-12 hexadecimal form, either case.
        mutating func uuid() throws(Unusual) -> UUID {
            let range = try stringContent()
            guard range.count == 36 else { throw Unusual() }
            var raw: [UInt8] = []
            raw.reserveCapacity(16)
            var index = range.lowerBound
            while index < range.upperBound {
                let offset = index - range.lowerBound
                if offset == 8 || offset == 13 || offset == 18 || offset == 23 {
                    guard bytes[index] == UInt8(ascii: "-") else { throw Unusual() }
                    index += 1
                    continue
                }
                guard index + 1 < range.upperBound, let high = Self.hex(bytes[index]),
                    let low = Self.hex(bytes[index + 1])
                else { throw Unusual() }
                raw.append(high << 4 | low)
                index += 2
            }
            guard raw.count == 16 else { throw Unusual() }
            return UUID(
                uuid: (
                    raw[0], raw[1], raw[2], raw[3], raw[4], raw[5], raw[6], raw[7], raw[8], raw[9], raw[10], raw[11],
                    raw[12], raw[13], raw[14], raw[15]
                )
            )
        }

        /// An integer written without fraction or exponent, of at most 18 digits (so it fits an `Int`: a
        /// longer one is refused before it is accumulated, never overflowed).
        mutating func integer() throws(Unusual) -> Int {
            skipWhitespace()
            var negative = false
            if try peek() == UInt8(ascii: "-") {
                negative = true
                position += 1
            }
            let start = position
            var value = 0
            while position < end, let digit = Self.digit(bytes[position]) {
                guard position - start < 18 else { throw Unusual() }
                value = value * 10 + digit
                position += 1
            }
            let digits = position - start
            guard digits > 0, !(digits > 1 && bytes[start] == UInt8(ascii: "0")) else { throw Unusual() }
            if position < end, [UInt8(ascii: "."), UInt8(ascii: "e"), UInt8(ascii: "E")].contains(bytes[position]) {
                throw Unusual()
            }
            return negative ? -value : value
        }

        /// An RFC 3339 timestamp `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)` in the years 2000–2100 (the
        /// general decoder answers every other form and year, with the same problems as before).
        mutating func timestamp() throws(Unusual) -> Date {
            let range = try stringContent()
            var index = range.lowerBound
            func number(_ count: Int) throws(Unusual) -> Int {
                guard index + count <= range.upperBound else { throw Unusual() }
                var value = 0
                for _ in 0..<count {
                    guard let digit = Self.digit(bytes[index]) else { throw Unusual() }
                    value = value * 10 + digit
                    index += 1
                }
                return value
            }
            func expectByte(_ byte: UInt8) throws(Unusual) {
                guard index < range.upperBound, bytes[index] == byte else { throw Unusual() }
                index += 1
            }
            let year = try number(4)
            try expectByte(UInt8(ascii: "-"))
            let month = try number(2)
            try expectByte(UInt8(ascii: "-"))
            let day = try number(2)
            try expectByte(UInt8(ascii: "T"))
            let hour = try number(2)
            try expectByte(UInt8(ascii: ":"))
            let minute = try number(2)
            try expectByte(UInt8(ascii: ":"))
            let second = try number(2)
            var fraction = 0.0
            if index < range.upperBound, bytes[index] == UInt8(ascii: ".") {
                index += 1
                var scale = 0.1
                let start = index
                while index < range.upperBound, let digit = Self.digit(bytes[index]) {
                    fraction += Double(digit) * scale
                    scale /= 10
                    index += 1
                }
                guard (1...9).contains(index - start) else { throw Unusual() }
            }
            var offset = 0
            guard index < range.upperBound else { throw Unusual() }
            switch bytes[index] {
            case UInt8(ascii: "Z"):
                index += 1
            case UInt8(ascii: "+"), UInt8(ascii: "-"):
                let sign = bytes[index] == UInt8(ascii: "+") ? 1 : -1
                index += 1
                let hours = try number(2)
                try expectByte(UInt8(ascii: ":"))
                let minutes = try number(2)
                guard hours <= 23, minutes <= 59 else { throw Unusual() }
                offset = sign * (hours * 3600 + minutes * 60)
            default:
                throw Unusual()
            }
            guard index == range.upperBound, (2000...2100).contains(year), (1...12).contains(month),
                (1...Self.days(inMonth: month, year: year)).contains(day), hour <= 23, minute <= 59, second <= 59
            else { throw Unusual() }
            let seconds =
                Self.daysSinceEpoch(year: year, month: month, day: day) * 86_400 + hour * 3600 + minute * 60
                + second - offset
            return Date(timeIntervalSince1970: Double(seconds) + fraction)
        }

        /// Checks any JSON value and steps over it.
        /// Skips the value of a member the envelope does not define, or gives up (see `skipsUnknownMembers`).
        mutating func unknownMember(depth: Int) throws(Unusual) {
            guard skipsUnknownMembers else { throw Unusual() }
            try skipValue(depth: depth)
        }

        mutating func skipValue(depth: Int) throws(Unusual) {
            guard depth < Self.maxDepth else { throw Unusual() }
            skipWhitespace()
            switch try peek() {
            case UInt8(ascii: "{"):
                try object { reader, _ throws(Unusual) in try reader.skipValue(depth: depth + 1) }
            case UInt8(ascii: "["):
                position += 1
                skipWhitespace()
                if try peek() == UInt8(ascii: "]") {
                    position += 1
                    return
                }
                while true {
                    try skipValue(depth: depth + 1)
                    skipWhitespace()
                    switch try next() {
                    case UInt8(ascii: ","): continue
                    case UInt8(ascii: "]"): return
                    default: throw Unusual()
                    }
                }
            case UInt8(ascii: "\""):
                let range = try stringContent()
                try Self.checkText(UnsafeBufferPointer(rebasing: bytes[range]))
            case UInt8(ascii: "t"): try literal("true")
            case UInt8(ascii: "f"): try literal("false")
            case UInt8(ascii: "n"): try literal("null")
            default: try skipNumber()
            }
        }

        /// The bytes between a string's quotes; checks that escapes are well formed and that no control
        /// character appears unescaped.
        mutating func stringContent() throws(Unusual) -> Range<Int> {
            try expect(UInt8(ascii: "\""))
            let start = position
            while position < end {
                let byte = bytes[position]
                if byte == UInt8(ascii: "\"") {
                    position += 1
                    return start..<(position - 1)
                }
                if byte < 0x20 { throw Unusual() }
                if byte == UInt8(ascii: "\\") {
                    guard position + 1 < end else { throw Unusual() }
                    switch bytes[position + 1] {
                    case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"),
                        UInt8(ascii: "f"),
                        UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                        position += 2
                    case UInt8(ascii: "u"):
                        guard position + 6 <= end else { throw Unusual() }
                        var scalar = 0
                        for offset in 2..<6 {
                            guard let digit = Self.hex(bytes[position + offset]) else { throw Unusual() }
                            scalar = scalar << 4 | Int(digit)
                        }
                        // Surrogate pairs are left to the general decoder.
                        if (0xD800...0xDFFF).contains(scalar) { throw Unusual() }
                        position += 6
                    default:
                        throw Unusual()
                    }
                    continue
                }
                position += 1
            }
            throw Unusual()
        }

        mutating func skipNumber() throws(Unusual) {
            if try peek() == UInt8(ascii: "-") { position += 1 }
            let start = position
            while position < end, Self.digit(bytes[position]) != nil { position += 1 }
            let digits = position - start
            guard digits > 0, !(digits > 1 && bytes[start] == UInt8(ascii: "0")) else { throw Unusual() }
            if position < end, bytes[position] == UInt8(ascii: ".") {
                position += 1
                let fraction = position
                while position < end, Self.digit(bytes[position]) != nil { position += 1 }
                guard position > fraction else { throw Unusual() }
            }
            if position < end, bytes[position] == UInt8(ascii: "e") || bytes[position] == UInt8(ascii: "E") {
                position += 1
                if position < end, bytes[position] == UInt8(ascii: "+") || bytes[position] == UInt8(ascii: "-") {
                    position += 1
                }
                let exponent = position
                while position < end, Self.digit(bytes[position]) != nil { position += 1 }
                // Exponents Postgres' numeric cannot hold go to the general decoder.
                guard position > exponent, position - exponent <= 3 else { throw Unusual() }
            }
        }

        mutating func literal(_ word: StaticString) throws(Unusual) {
            let count = word.utf8CodeUnitCount
            guard position + count <= end else { throw Unusual() }
            for offset in 0..<count where bytes[position + offset] != word.utf8Start[offset] { throw Unusual() }
            position += count
        }

        mutating func expect(_ byte: UInt8) throws(Unusual) {
            skipWhitespace()
            guard position < end, bytes[position] == byte else { throw Unusual() }
            position += 1
        }

        mutating func peek() throws(Unusual) -> UInt8 {
            guard position < end else { throw Unusual() }
            return bytes[position]
        }

        mutating func next() throws(Unusual) -> UInt8 {
            let byte = try peek()
            position += 1
            return byte
        }

        mutating func skipWhitespace() {
            while position < end, bytes[position].isJSONWhitespace { position += 1 }
        }

        /// Checks that non-ASCII text is valid UTF-8.
        static func checkText(_ text: UnsafeBufferPointer<UInt8>) throws(Unusual) {
            guard text.contains(where: { $0 >= 0x80 }) else { return }
            guard String(validating: text, as: UTF8.self) != nil else { throw Unusual() }
        }

        static func digit(_ byte: UInt8) -> Int? {
            (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) ? Int(byte - UInt8(ascii: "0")) : nil
        }

        static func hex(_ byte: UInt8) -> UInt8? {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
            default: nil
            }
        }

        static func days(inMonth month: Int, year: Int) -> Int {
            switch month {
            case 2: year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) ? 29 : 28
            case 4, 6, 9, 11: 30
            default: 31
            }
        }

        /// Days from 1970-01-01 to the date (proleptic Gregorian).
        static func daysSinceEpoch(year: Int, month: Int, day: Int) -> Int {
            let shiftedYear = month <= 2 ? year - 1 : year
            let era = shiftedYear / 400
            let yearOfEra = shiftedYear - era * 400
            let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
            let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
            return era * 146_097 + dayOfEra - 719_468
        }
    }
}
