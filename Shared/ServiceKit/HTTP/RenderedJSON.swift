import Contracts
import Foundation
import Hummingbird
import NIOCore
import NIOFoundationEssentialsCompat

/// A JSON answer encoded once and served as its bytes: what a cache keeps, so that a hit costs no encoding
/// and no copy (every response shares the buffer). In the cache's Redis tier the bytes are stored as base64.
package struct RenderedJSON: Codable, Sendable, Equatable, ResponseGenerator {
    /// The encoded answer.
    package let body: ByteBuffer

    /// `value` encoded as the contracts encode every answer.
    package init(encoding value: some Encodable) throws {
        self.init(bytes: try ContractJSON.makeEncoder().encode(value))
    }

    /// Bytes already encoded (with another encoder's options, say).
    package init(bytes: Data) {
        self.body = ByteBuffer(data: bytes)
    }

    /// A buffer already holding the JSON (written by hand on a hot path, say).
    package init(body: ByteBuffer) {
        self.body = body
    }

    package init(from decoder: any Decoder) throws {
        self.init(bytes: try decoder.singleValueContainer().decode(Data.self))
    }

    package func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(Data(buffer: body))
    }

    /// A 200 with the bytes, as ``ContractResponseEncoder`` would have answered.
    package func response(from request: Request, context: some RequestContext) throws -> Response {
        Response(
            status: .ok,
            headers: [.contentType: "application/json; charset=utf-8"],
            body: .init(byteBuffer: body)
        )
    }
}
