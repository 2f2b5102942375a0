import ArgumentParser
import Hummingbird
import NIOCore

/// A plain Hummingbird server answering `GET /constant` with a fixed JSON body: the yardstick benchmarks set
/// a service's cache hits beside, measured in the same run.
@main
struct ConstantServer: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "constant-server",
        abstract: "Serves a constant JSON body."
    )

    @Option(help: "Port to listen on (127.0.0.1).") var port = 18098
    @Option(help: "Size of the JSON body in bytes.") var size = 300

    func run() async throws {
        let filler = String(repeating: "x", count: max(0, size - 20))
        let body = ByteBuffer(string: #"{"constant":"\#(filler)"}"#)
        let router = Router()
        router.get("/constant") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: body))
        }
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: port)))
        try await app.runService()
    }
}
