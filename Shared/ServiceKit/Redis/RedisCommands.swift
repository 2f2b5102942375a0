import NIOCore

// MARK: - Strings, keys and pub/sub

extension RedisCommandExecutor {
    /// `PING`.
    package func ping() async throws {
        _ = try await send(RedisCommand("PING"))
    }

    /// `GET key`: the value, or nil when the key does not exist.
    package func get(_ key: String) async throws -> ByteBuffer? {
        let reply = try await send(RedisCommand("GET", [.string(key)]))
        if reply.isNull { return nil }
        guard let bytes = reply.bytes else { throw RedisError.unexpectedReply("GET: \(reply)") }
        return bytes
    }

    /// `SET key value [PX ms] [NX]`: returns false when `onlyIfAbsent` and the key already exists.
    @discardableResult
    package func set(
        _ key: String,
        to value: RedisArgument,
        expiresIn expiry: Duration? = nil,
        onlyIfAbsent: Bool = false
    ) async throws -> Bool {
        var arguments: [RedisArgument] = [.string(key), value]
        if let expiry { arguments += ["PX", .int(Int(max(expiry.milliseconds, 1)))] }
        if onlyIfAbsent { arguments.append("NX") }
        let reply = try await send(RedisCommand("SET", arguments))
        return !reply.isNull
    }

    /// `DEL key…`: the number of keys removed.
    @discardableResult
    package func delete(_ keys: [String]) async throws -> Int {
        guard !keys.isEmpty else { return 0 }
        return try await integer(RedisCommand("DEL", keys.map { .string($0) }))
    }

    /// `INCR key`: the value after the increment.
    package func increment(_ key: String) async throws -> Int {
        try await integer(RedisCommand("INCR", [.string(key)]))
    }

    /// `PEXPIRE key ms`: whether the key exists.
    @discardableResult
    package func expire(_ key: String, after expiry: Duration) async throws -> Bool {
        try await integer(RedisCommand("PEXPIRE", [.string(key), .int(Int(expiry.milliseconds))])) == 1
    }

    /// `PUBLISH channel message`: how many subscribers received it.
    @discardableResult
    package func publish(_ message: RedisArgument, to channel: String) async throws -> Int {
        try await integer(RedisCommand("PUBLISH", [.string(channel), message]))
    }

    /// Sends `command` and expects an integer reply.
    package func integer(_ command: RedisCommand) async throws -> Int {
        let reply = try await send(command)
        guard case .integer(let value) = reply else {
            throw RedisError.unexpectedReply("\(command.name): \(reply)")
        }
        return value
    }
}

// MARK: - Scripts

extension RedisCommandExecutor {
    /// Runs `script` with `EVALSHA`; when Redis does not know it (`NOSCRIPT`, e.g. after a restart or
    /// `SCRIPT FLUSH`) it is loaded with `SCRIPT LOAD` and run again.
    package func evaluate(
        _ script: RedisScript,
        keys: [String],
        arguments: [RedisArgument] = []
    ) async throws -> RESPValue {
        let command = RedisCommand(
            "EVALSHA",
            [.string(script.sha1), .int(keys.count)] + keys.map { .string($0) } + arguments
        )
        // Scripts vanish when Redis restarts or someone runs SCRIPT FLUSH, possibly again between our load and
        // our retry: load and retry a few times.
        var attempt = 1
        while true {
            do {
                return try await send(command)
            } catch RedisError.server(let message) where message.hasPrefix("NOSCRIPT") && attempt < 4 {
                attempt += 1
                let loaded = try await send(RedisCommand("SCRIPT", ["LOAD", .string(script.source)]))
                guard loaded.string == script.sha1 else {
                    throw RedisError.unexpectedReply("SCRIPT LOAD returned \(loaded), expected \(script.sha1)")
                }
            }
        }
    }
}
