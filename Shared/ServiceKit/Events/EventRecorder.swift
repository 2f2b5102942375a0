import Contracts
import Foundation
import Logging
import PostgresNIO

/// Records the events of a service's routes in one line each: the type, action and payload come from the
/// payload's ``EventPayload`` type, the actor, ip, user agent, request id and organization from the request
/// context, the source from the service's configuration, and the event goes into the outbox inside the
/// caller's transaction.
///
/// ```swift
/// try await database.withTransaction { connection in
///     try await repository.update(profile, on: connection)
///     try await events.record(UserProfileUpdated(changes: changes), resource: .init(type: "user", id: id),
///                             context: context, on: connection)
/// }
/// ```
package struct EventRecorder: Sendable {
    package let source: EventSource
    package let outbox: Outbox
    private let logger: Logger

    package init(source: EventSource, outbox: Outbox, logger: Logger) {
        self.source = source
        self.outbox = outbox
        self.logger = logger
    }

    /// The envelope for a change made by the caller of `context`; `organizationID` defaults to theirs, and
    /// `actor` replaces the context's identity when the caller has just proven who they are (login, register).
    package func envelope<Payload: EventPayload>(
        _ payload: Payload,
        resource: EventResource,
        organizationID: UUID? = nil,
        actor: Identity? = nil,
        context: some ServiceContext
    ) throws -> EventEnvelope {
        let identity = actor ?? context.identity
        return EventEnvelope(
            type: Payload.eventType,
            source: source,
            organizationID: organizationID ?? identity?.organizationID,
            actor: EventActor(
                userID: identity?.userID,
                email: identity?.email,
                ip: context.clientIP,
                userAgent: context.userAgent
            ),
            requestID: context.requestID.isEmpty ? nil : context.requestID,
            resource: resource,
            action: Payload.action,
            payload: try JSONValue(encoding: payload)
        )
    }

    /// Adds the event for a change made by the caller of `context` to the outbox, in the caller's transaction.
    package func record(
        _ payload: some EventPayload,
        resource: EventResource,
        organizationID: UUID? = nil,
        actor: Identity? = nil,
        context: some ServiceContext,
        on connection: PostgresConnection
    ) async throws {
        let event = try envelope(
            payload,
            resource: resource,
            organizationID: organizationID,
            actor: actor,
            context: context
        )
        try await outbox.add(event, on: connection, logger: logger)
    }

    /// Adds an event the service makes on its own (a scheduler, a background job), without a request.
    package func recordSystemEvent<Payload: EventPayload>(
        _ payload: Payload,
        resource: EventResource,
        organizationID: UUID? = nil,
        on connection: PostgresConnection
    ) async throws {
        let event = EventEnvelope(
            type: Payload.eventType,
            source: source,
            organizationID: organizationID,
            actor: nil,
            requestID: nil,
            resource: resource,
            action: Payload.action,
            payload: try JSONValue(encoding: payload)
        )
        try await outbox.add(event, on: connection, logger: logger)
    }
}
