import NIOCore
import ServiceKit

extension RedisCommandExecutor {
    /// `GET key` as UTF-8 text: what the tests compare; no service reads text values.
    func getString(_ key: String) async throws -> String? {
        try await get(key).map { String(buffer: $0) }
    }
}
