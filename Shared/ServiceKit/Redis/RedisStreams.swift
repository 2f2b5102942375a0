import NIOCore

/// One field of a stream entry.
package struct StreamField: Sendable, Equatable {
    package var name: String
    package var value: ByteBuffer

    package init(_ name: String, _ value: ByteBuffer) {
        self.name = name
        self.value = value
    }

    package init(_ name: String, _ value: String) {
        self.init(name, ByteBuffer(string: value))
    }
}

/// An entry of a Redis stream. `fields` is nil for an entry that was deleted (or trimmed) while pending.
package struct StreamEntry: Sendable, Equatable {
    package var id: String
    package var fields: [StreamField]?

    package init(id: String, fields: [StreamField]?) {
        self.id = id
        self.fields = fields
    }

    /// The value of the first field named `name`.
    package subscript(field name: String) -> ByteBuffer? {
        fields?.first { $0.name == name }?.value
    }
}

/// A pending entry of a consumer group, as `XPENDING … start end count` reports it.
package struct PendingStreamEntry: Sendable, Equatable {
    package var id: String
    package var consumer: String
    package var idle: Duration
    package var deliveries: Int
}

/// What `XAUTOCLAIM` returns: where to continue, the entries now owned, and ids that no longer exist.
package struct AutoClaimResult: Sendable, Equatable {
    package var nextStart: String
    package var entries: [StreamEntry]
    package var deletedIDs: [String]
}

extension RedisCommandExecutor {
    /// `XADD stream [MAXLEN ~ n] * field value…`: the new entry's id.
    @discardableResult
    package func streamAdd(_ stream: String, fields: [StreamField], maxLength: Int? = nil) async throws -> String {
        let reply = try await send(.streamAdd(stream, fields: fields, maxLength: maxLength))
        guard let id = reply.string else { throw RedisError.unexpectedReply("XADD: \(reply)") }
        return id
    }

    /// `XGROUP CREATE stream group id MKSTREAM`: false when the group already exists.
    @discardableResult
    package func streamCreateGroup(_ stream: String, group: String, startingAt id: String = "0") async throws -> Bool {
        do {
            _ = try await send(
                RedisCommand("XGROUP", ["CREATE", .string(stream), .string(group), .string(id), "MKSTREAM"])
            )
            return true
        } catch RedisError.server(let message) where message.hasPrefix("BUSYGROUP") {
            return false
        }
    }

    /// `XREADGROUP GROUP group consumer COUNT n STREAMS stream id` without blocking.
    /// `id` is `>` for new entries or `0` for this consumer's own pending ones.
    package func streamReadGroup(
        _ stream: String,
        group: String,
        consumer: String,
        count: Int,
        id: String = ">"
    ) async throws -> [StreamEntry] {
        let reply = try await send(
            Self.readGroupCommand(stream, group: group, consumer: consumer, count: count, block: nil, id: id)
        )
        return try Self.parseReadReply(reply)
    }

    /// `XACK stream group id…`: how many were acknowledged.
    @discardableResult
    package func streamAcknowledge(_ stream: String, group: String, ids: [String]) async throws -> Int {
        guard !ids.isEmpty else { return 0 }
        return try await integer(.streamAcknowledge(stream, group: group, ids: ids))
    }

    /// `XAUTOCLAIM stream group consumer min-idle start COUNT n`: takes over entries idle longer than `minIdle`.
    package func streamAutoClaim(
        _ stream: String,
        group: String,
        consumer: String,
        minIdle: Duration,
        start: String = "0-0",
        count: Int
    ) async throws -> AutoClaimResult {
        let reply = try await send(
            RedisCommand(
                "XAUTOCLAIM",
                [
                    .string(stream), .string(group), .string(consumer), .int(Int(minIdle.milliseconds)), .string(start),
                    "COUNT", .int(count),
                ]
            )
        )
        guard let parts = reply.array, parts.count >= 2, let next = parts[0].string else {
            throw RedisError.unexpectedReply("XAUTOCLAIM: \(reply)")
        }
        let deleted = parts.count > 2 ? (parts[2].array ?? []).compactMap(\.string) : []
        return AutoClaimResult(nextStart: next, entries: try Self.parseEntries(parts[1]), deletedIDs: deleted)
    }

    /// `XPENDING stream group`: the number of entries delivered and not yet acknowledged.
    package func streamPendingCount(_ stream: String, group: String) async throws -> Int {
        let reply = try await send(RedisCommand("XPENDING", [.string(stream), .string(group)]))
        guard let parts = reply.array, let count = parts.first?.int else {
            throw RedisError.unexpectedReply("XPENDING: \(reply)")
        }
        return count
    }

    /// `XPENDING stream group [IDLE ms] start end count [consumer]`: pending entries with delivery counts.
    package func streamPending(
        _ stream: String,
        group: String,
        start: String = "-",
        end: String = "+",
        count: Int,
        consumer: String? = nil,
        minIdle: Duration? = nil
    ) async throws -> [PendingStreamEntry] {
        var arguments: [RedisArgument] = [.string(stream), .string(group)]
        if let minIdle { arguments += ["IDLE", .int(Int(minIdle.milliseconds))] }
        arguments += [.string(start), .string(end), .int(count)]
        if let consumer { arguments.append(.string(consumer)) }
        let reply = try await send(RedisCommand("XPENDING", arguments))
        guard let rows = reply.array else { throw RedisError.unexpectedReply("XPENDING: \(reply)") }
        return try rows.map { row in
            guard let fields = row.array, fields.count == 4, let id = fields[0].string, let consumer = fields[1].string,
                let idle = fields[2].int, let deliveries = fields[3].int
            else { throw RedisError.unexpectedReply("XPENDING entry: \(row)") }
            return PendingStreamEntry(id: id, consumer: consumer, idle: .milliseconds(idle), deliveries: deliveries)
        }
    }

    /// `XRANGE stream start end [COUNT n]`.
    package func streamRange(
        _ stream: String,
        start: String = "-",
        end: String = "+",
        count: Int? = nil
    ) async throws -> [StreamEntry] {
        var arguments: [RedisArgument] = [.string(stream), .string(start), .string(end)]
        if let count { arguments += ["COUNT", .int(count)] }
        return try Self.parseEntries(try await send(RedisCommand("XRANGE", arguments)))
    }

    /// `XLEN stream`.
    package func streamLength(_ stream: String) async throws -> Int {
        try await integer(RedisCommand("XLEN", [.string(stream)]))
    }

    /// How far consumer group `group` of `stream` is behind: the entries not yet delivered to it (`lag`) and
    /// those delivered but not acknowledged (`pending`); nil when the stream or the group does not exist.
    ///
    /// The lag comes from the stream's last id against the group's last delivered id, never from Redis' own
    /// `lag` field, which is unknown once entries were trimmed: nothing newer than the last delivered id means
    /// 0; a last delivered id older than the stream's first entry (trimmed past) means every entry; otherwise
    /// the stream's entries added minus the group's entries read, or where Redis does not know the latter, a
    /// count of the entries after the last delivered id (up to `countLimit`).
    package func streamGroupBacklog(
        _ stream: String,
        group: String,
        countLimit: Int = 10_000
    ) async throws -> (lag: Int, pending: Int)? {
        let streamInfo: [String: RESPValue]
        do {
            streamInfo = Self.fields(try await send(RedisCommand("XINFO", ["STREAM", .string(stream)])))
        } catch RedisError.server(let message) where message.contains("no such key") {
            return nil
        }
        let groups = try await send(RedisCommand("XINFO", ["GROUPS", .string(stream)])).array ?? []
        guard let info = groups.map(Self.fields).first(where: { $0["name"]?.string == group }),
            let pending = info["pending"]?.int, let delivered = info["last-delivered-id"]?.string,
            let last = streamInfo["last-generated-id"]?.string, let length = streamInfo["length"]?.int
        else { return nil }
        if delivered == last || length == 0 { return (0, pending) }
        if let first = streamInfo["first-entry"]?.array?.first?.string, StreamID(delivered) < StreamID(first) {
            return (length, pending)
        }
        if let added = streamInfo["entries-added"]?.int, let read = info["entries-read"]?.int {
            return (max(0, added - read), pending)
        }
        return (try await streamRange(stream, start: "(" + delivered, count: countLimit).count, pending)
    }

    /// A flat `[name, value, name, value, …]` reply (XINFO's) as a dictionary.
    private static func fields(_ reply: RESPValue) -> [String: RESPValue] {
        guard let items = reply.array else { return [:] }
        var fields: [String: RESPValue] = [:]
        for index in stride(from: 0, to: items.count - 1, by: 2) {
            if let name = items[index].string { fields[name] = items[index + 1] }
        }
        return fields
    }

    static func readGroupCommand(
        _ stream: String,
        group: String,
        consumer: String,
        count: Int,
        block: Duration?,
        id: String
    ) -> RedisCommand {
        var arguments: [RedisArgument] = ["GROUP", .string(group), .string(consumer), "COUNT", .int(count)]
        if let block { arguments += ["BLOCK", .int(Int(block.milliseconds))] }
        arguments += ["STREAMS", .string(stream), .string(id)]
        return RedisCommand("XREADGROUP", arguments)
    }

    /// Parses `[[stream, [[id, [field, value…]]…]]]` (or null when a blocking read timed out).
    static func parseReadReply(_ reply: RESPValue) throws -> [StreamEntry] {
        if reply.isNull { return [] }
        guard let streams = reply.array else { throw RedisError.unexpectedReply("XREADGROUP: \(reply)") }
        var entries: [StreamEntry] = []
        for stream in streams {
            guard let parts = stream.array, parts.count == 2 else {
                throw RedisError.unexpectedReply("XREADGROUP: \(stream)")
            }
            entries += try parseEntries(parts[1])
        }
        return entries
    }

    /// Parses `[[id, [field, value…] | null]…]`.
    static func parseEntries(_ reply: RESPValue) throws -> [StreamEntry] {
        guard let rows = reply.array else { throw RedisError.unexpectedReply("stream entries: \(reply)") }
        return try rows.map { row in
            guard let parts = row.array, parts.count == 2, let id = parts[0].string else {
                throw RedisError.unexpectedReply("stream entry: \(row)")
            }
            guard let flat = parts[1].array else { return StreamEntry(id: id, fields: nil) }
            var fields: [StreamField] = []
            fields.reserveCapacity(flat.count / 2)
            var index = 0
            while index + 1 < flat.count {
                guard let name = flat[index].string, let value = flat[index + 1].bytes else {
                    throw RedisError.unexpectedReply("stream field: \(row)")
                }
                fields.append(StreamField(name, value))
                index += 2
            }
            return StreamEntry(id: id, fields: fields)
        }
    }
}

extension RedisConnection {
    /// `XREADGROUP … BLOCK ms …`: waits up to `block` for new entries. Only on a dedicated connection.
    package func streamReadGroup(
        _ stream: String,
        group: String,
        consumer: String,
        count: Int,
        block: Duration
    ) async throws -> [StreamEntry] {
        let command = Self.readGroupCommand(
            stream,
            group: group,
            consumer: consumer,
            count: count,
            block: block,
            id: ">"
        )
        let reply = try await send(command, timeout: block + .seconds(5))
        return try Self.parseReadReply(reply)
    }
}

extension RedisCommand {
    /// `XADD stream [MAXLEN ~ n] * field value…`, for pipelines.
    package static func streamAdd(_ stream: String, fields: [StreamField], maxLength: Int? = nil) -> RedisCommand {
        var arguments: [RedisArgument] = [.string(stream)]
        if let maxLength { arguments += ["MAXLEN", "~", .int(maxLength)] }
        arguments.append("*")
        for field in fields { arguments += [.string(field.name), .bytes(field.value)] }
        return RedisCommand("XADD", arguments)
    }

    /// `XACK stream group id…`, for pipelines.
    package static func streamAcknowledge(_ stream: String, group: String, ids: [String]) -> RedisCommand {
        RedisCommand("XACK", [.string(stream), .string(group)] + ids.map { .string($0) })
    }
}

/// A stream entry id (`<milliseconds>-<sequence>`), ordered as Redis orders them.
struct StreamID: Comparable {
    var milliseconds: UInt64
    var sequence: UInt64

    init(_ text: String) {
        let parts = text.split(separator: "-", maxSplits: 1)
        milliseconds = parts.first.flatMap { UInt64($0) } ?? 0
        sequence = parts.count > 1 ? UInt64(parts[1]) ?? 0 : 0
    }

    static func < (left: StreamID, right: StreamID) -> Bool {
        (left.milliseconds, left.sequence) < (right.milliseconds, right.sequence)
    }
}
