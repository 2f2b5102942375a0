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

/// The signing key of this test process, made once: the services under test verify with its public half
/// (``TestInfrastructure/environment(_:)`` sets it), so tokens it signs are valid for all of them.
package enum TestKeys {
    package static let signing: AuthSettings.SigningKey = {
        do {
            return try .generate(id: "test")
        } catch {
            fatalError("cannot make an Ed25519 key: \(error)")
        }
    }()

    /// The auth settings the services under test read from the test environment.
    package static var settings: AuthSettings { AuthSettings(publicKeys: [signing.publicKey], signingKey: signing) }

    /// `JWT_PUBLIC_KEYS` and `JWT_PRIVATE_KEY` for this key.
    package static var environment: [String: String] {
        ["JWT_PUBLIC_KEYS": signing.publicKey.setting, "JWT_PRIVATE_KEY": signing.setting]
    }
}

/// Access tokens for tests, signed with the test process's key unless `settings` names another.
package enum TestTokens {
    /// A bearer header value for `identity`.
    package static func bearer(_ identity: Identity, settings: AuthSettings = TestKeys.settings) async throws -> String
    {
        guard let key = settings.signingKey else { preconditionFailure("settings without a signing key") }
        let signer = await AccessTokenSigner(key: key, settings: settings)
        return "Bearer " + (try await signer.sign(identity))
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
