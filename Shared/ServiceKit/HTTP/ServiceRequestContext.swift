import Contracts
import Foundation
import Hummingbird
import Logging
import NIOCore
import NIOFoundationEssentialsCompat

/// What ServiceKit's middleware needs from a service's request context: the verified identity, the request id,
/// the body limit and the peer address.
package protocol ServiceContext: RequestContext where Source == ApplicationRequestContextSource {
    /// The caller proven by the access token, or nil for an anonymous request.
    var identity: Identity? { get set }
    /// The request id (`X-Request-ID` from the caller, or generated).
    var requestID: String { get set }
    /// The largest body accepted, in bytes; set by ``RequestLimitsMiddleware``.
    var bodyLimit: Int { get set }
    /// The TCP peer (the proxy, behind nginx).
    var remoteAddress: SocketAddress? { get }
    /// The connection the request came on (a request past its timeout is answered on it directly).
    var channel: any Channel { get }
    /// The caller's IP address, through trusted proxies; set by ``ServiceResponder``.
    var clientIP: String? { get set }
    /// The caller's `User-Agent`; set by ``ServiceResponder``.
    var userAgent: String? { get set }
    /// The request's logger: the service's, with the request id and the caller as metadata.
    var logger: Logger { get set }
    /// The level of ``logger``, read without attaching the metadata.
    var logLevel: Logger.Level { get }
}

extension ServiceContext {
    /// The caller, or a 401 problem when the request carries no valid token.
    package func requireIdentity() throws(APIError) -> Identity {
        guard let identity else { throw .unauthorized("sign in to use this endpoint") }
        return identity
    }

    /// The caller if they have `role`, a 401 when anonymous, a 403 otherwise. Routes check roles once, with
    /// ``RequireRoleMiddleware`` on their group, where the route table shows them; handlers then take the
    /// caller with ``requireIdentity()``.
    package func requireRole(_ role: Role) throws(APIError) -> Identity {
        let identity = try requireIdentity()
        guard identity.role == role else { throw .forbidden("this endpoint is for the \(role.rawValue) role") }
        return identity
    }
}

/// The request context of every service: one value per request, carried through middleware to the handler.
package struct ServiceRequestContext: ServiceContext {
    package var coreContext: CoreRequestContextStorage
    package var identity: Identity?
    package var requestID: String
    package var bodyLimit: Int
    package let channel: any Channel
    package var clientIP: String?
    package var userAgent: String?
    /// The service's logger, without the request's metadata.
    private var serviceLogger: Logger

    package init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.identity = nil
        self.requestID = ""
        self.bodyLimit = 1 << 20
        self.channel = source.channel
        self.serviceLogger = source.logger
    }

    /// The service's logger with `request.id` and, for a signed-in caller, `user.id` and `org.id`. The metadata
    /// is attached when a logger is asked for, not on every request: most requests log nothing.
    package var logger: Logger {
        get {
            var logger = serviceLogger
            if !requestID.isEmpty { logger[metadataKey: "request.id"] = .string(requestID) }
            if let identity {
                logger[metadataKey: "user.id"] = .string(identity.userIDText)
                logger[metadataKey: "org.id"] = .string(identity.organizationIDText)
            }
            return logger
        }
        set { serviceLogger = newValue }
    }

    package var logLevel: Logger.Level { serviceLogger.logLevel }

    package var remoteAddress: SocketAddress? { channel.remoteAddress }

    package var maxUploadSize: Int { bodyLimit }
    package var requestDecoder: ContractRequestDecoder { ContractRequestDecoder() }
    package var responseEncoder: ContractResponseEncoder { ContractResponseEncoder() }
}

/// The one way a request body is read (`request.decode(as:context:)`): JSON with the contracts' date handling
/// into a `Decodable` body type. A body that is not JSON is a 400 naming what is wrong; a body type that reads
/// itself with ``JSONBody/init(from:allowed:)`` refuses unknown fields and answers every problem in one 422.
package struct ContractRequestDecoder: RequestDecoder {
    package func decode<T: Decodable>(
        _ type: T.Type,
        from request: Request,
        context: some RequestContext
    ) async throws -> T {
        let buffer = try await request.body.collect(upTo: context.maxUploadSize)
        do {
            return try ContractJSON.makeDecoder().decode(T.self, from: Data(buffer: buffer))
        } catch let error as DecodingError {
            throw APIError.badRequest(DecodingProblem.describe(error))
        }
    }
}

/// Encodes responses as JSON with the contracts' date handling.
package struct ContractResponseEncoder: ResponseEncoder {
    package func encode(_ value: some Encodable, from request: Request, context: some RequestContext) throws -> Response
    {
        let data = try ContractJSON.makeEncoder().encode(value)
        return Response(
            status: .ok,
            headers: [.contentType: "application/json; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(data: data))
        )
    }
}
