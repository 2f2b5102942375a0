import Hummingbird
import NIOCore
import NIOFoundationEssentialsCompat
import ServiceKit

/// `GET /api/auth/jwks.json`: the public keys access tokens are verified with, as a JWK Set (RFC 7517), for
/// verifiers outside the platform. The platform's own services read the same keys from `JWT_PUBLIC_KEYS`.
struct KeySetController: Sendable {
    let document: ByteBuffer

    init(settings: AuthSettings) throws {
        document = ByteBuffer(data: try settings.keySetDocument())
    }

    func addRoutes(to router: Router<ServiceRequestContext>) {
        router.get("api/auth/jwks.json", use: keySet)
    }

    @Sendable func keySet(_ request: Request, context: ServiceRequestContext) -> Response {
        Response(
            status: .ok,
            headers: [.contentType: "application/jwk-set+json", .cacheControl: "public, max-age=300"],
            body: .init(byteBuffer: document)
        )
    }
}
