import Contracts
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import NIOFoundationEssentialsCompat
import ServiceKit

extension TestResponse {
    /// The body decoded with the contracts' JSON coders.
    package func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try ContractJSON.makeDecoder().decode(T.self, from: Data(buffer: body))
    }

    /// The body as text.
    package var text: String { String(buffer: body) }
}

/// Access tokens for tests, signed with the same settings the services under test verify with.
package enum TestTokens {
    /// A bearer header value for `identity`.
    package static func bearer(_ identity: Identity, settings: AuthSettings = AuthSettings()) async throws -> String {
        let verifier = await AccessTokenVerifier(settings: settings)
        return "Bearer " + (try await verifier.sign(identity))
    }
}

extension HTTPFields {
    /// Headers with `Authorization` set.
    package static func authorized(_ bearer: String, _ extra: HTTPFields = [:]) -> HTTPFields {
        var fields = extra
        fields[.authorization] = bearer
        return fields
    }
}
