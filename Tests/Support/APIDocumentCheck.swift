import Hummingbird
import Logging
import ServiceKit
import Testing

/// The check each service's tests run on its OpenAPI document. Building a service compares its router's
/// routes with its document's operations both ways (``ServicePlatform/makeApplication(router:schema:migrations:caches:services:)``
/// throws ``APIDocumentDrift``), and assembling the document checks its references and operation ids; this
/// runs that build on its own and reports a difference by name. No Postgres or Redis is needed: nothing starts.
package enum APIDocumentCheck {
    /// Builds the service with `build` and records any difference between its routes and its document.
    package static func verify<App: ApplicationProtocol>(
        service: String,
        build: (ServiceConfiguration, Logger) async throws -> App
    ) async throws {
        let configuration = try TestInfrastructure.configuration(service: service)
        do {
            _ = try await build(configuration, TestInfrastructure.logger(service))
        } catch let drift as APIDocumentDrift {
            Issue.record("\(service): \(drift)")
        } catch let error as APIDocumentError {
            Issue.record("\(service): \(error)")
        }
    }
}
