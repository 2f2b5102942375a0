import Glibc
import NIOCore
import NIOPosix
import TestSupport
import Testing

@testable import ServiceKit

/// The Redis connection's socket options, read back from a real connected socket: the service must reach
/// Redis as an unprivileged user in a container, where an option that needs `CAP_NET_ADMIN` fails the connect.
@Suite("Redis socket options (real Redis)")
struct RedisSocketOptionsTests {
    @Test("TCP_NODELAY and keep-alive are set, and nothing privileged (SO_DEBUG) is")
    func options() async throws {
        let settings = try TestInfrastructure.redisSettings
        let channel = try await RedisConnection.bootstrap(
            settings: settings,
            group: MultiThreadedEventLoopGroup.singleton
        )
        .connect(host: settings.host, port: settings.port).get()
        defer { channel.close(promise: nil) }
        #expect(try await channel.getOption(.tcpOption(.tcp_nodelay)).get() != 0)
        #expect(try await channel.getOption(.socketOption(.so_keepalive)).get() != 0)
        let debug = ChannelOptions.Types.SocketOption(level: .socket, name: .init(rawValue: SO_DEBUG))
        #expect(try await channel.getOption(debug).get() == 0)
    }
}
