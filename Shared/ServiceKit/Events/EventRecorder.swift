import Contracts
import Foundation
import Logging
import PostgresNIO

/// Records the events of a service's routes in one line each: the actor, ip, user agent, request id and
/// organization come from the request context, the source from the service's configuration, and the event
/// goes into the outbox inside the caller's transaction.
///
/// ```swift
/// try await database.withTransaction { connection in
///     try await repository.update(profile, on: connection)
///     try await events.record("users.profile_updated", .update, resource: .init(type: "user", id: id),
///                             payload: changes, context: context, on: connection)
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
    package func envelope(
        _ type: String,
        _ action: EventAction,
        resource: EventResource,
        payload: JSONValue = [:],
        organizationID: UUID? = nil,
        actor: Identity? = nil,
        context: some ServiceContext
    ) -> EventEnvelope {
        let identity = actor ?? context.identity
        return EventEnvelope(
            type: type,
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
            action: action,
            payload: payload
        )
    }

    /// Adds the event for a change made by the caller of `context` to the outbox, in the caller's transaction.
    package func record(
        _ type: String,
        _ action: EventAction,
        resource: EventResource,
        payload: JSONValue = [:],
        organizationID: UUID? = nil,
        actor: Identity? = nil,
        context: some ServiceContext,
        on connection: PostgresConnection
    ) async throws {
        let event = envelope(
            type,
            action,
            resource: resource,
            payload: payload,
            organizationID: organizationID,
            actor: actor,
            context: context
        )
        try await outbox.add(event, on: connection, logger: logger)
    }

    /// Adds an event the service makes on its own (a scheduler, a background job), without a request.
    package func recordSystemEvent(
        _ type: String,
        _ action: EventAction,
        resource: EventResource,
        payload: JSONValue = [:],
        organizationID: UUID? = nil,
        on connection: PostgresConnection
    ) async throws {
        let event = EventEnvelope(
            type: type,
            source: source,
            organizationID: organizationID,
            actor: nil,
            requestID: nil,
            resource: resource,
            action: action,
            payload: payload
        )
        try await outbox.add(event, on: connection, logger: logger)
    }
}
