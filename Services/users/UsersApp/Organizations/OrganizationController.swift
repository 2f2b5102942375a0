import Contracts
import Foundation
import Hummingbird
import ServiceKit

/// `GET /api/organizations/current` (any member) and `PATCH` (admins): the details printed on quotes.
struct OrganizationController: Sendable {
    let database: Database
    let accounts: AccountStore
    let events: EventRecorder

    func addRoutes(to router: Router<ServiceRequestContext>) {
        router.group("api/organizations/current").add(middleware: RequireRoleMiddleware()).get(use: current)
        router.group("api/organizations/current").add(middleware: RequireRoleMiddleware(.admin)).patch(use: update)
    }

    @Sendable func current(_ request: Request, context: ServiceRequestContext) async throws -> Organization {
        let identity = try context.requireIdentity()
        return try await database.withConnection { connection in
            guard let organization = try await accounts.organization(identity.organizationID, on: connection) else {
                throw APIError.notFound("your organization no longer exists")
            }
            return organization
        }
    }

    @Sendable func update(_ request: Request, context: ServiceRequestContext) async throws -> Organization {
        let identity = try context.requireIdentity()
        let change = try await request.decode(as: OrganizationChangeBody.self, context: context)

        return try await database.withTransaction { connection in
            try await accounts.requireActiveAdmin(identity, on: connection)
            guard
                var organization = try await accounts.organization(
                    identity.organizationID,
                    on: connection,
                    forUpdate: true
                )
            else {
                throw APIError.notFound("your organization no longer exists")
            }
            let before = organization.auditFields
            if let value = change.name.value { organization.name = value }
            organization.legalName = change.legalName.applied(to: organization.legalName)
            organization.inn = change.inn.applied(to: organization.inn)
            organization.kpp = change.kpp.applied(to: organization.kpp)
            organization.address = change.address.applied(to: organization.address)
            organization.phone = change.phone.applied(to: organization.phone)
            organization.email = change.email.applied(to: organization.email)
            organization.website = change.website.applied(to: organization.website)
            let changes = ChangeSet.changes(before: before, after: organization.auditFields)
            guard !changes.isEmpty else { return organization }
            let updated = try await accounts.update(organization, on: connection)
            try await events.record(
                OrganizationUpdated(changes: changes),
                resource: EventResource(type: "organization", id: updated.id.wireString),
                context: context,
                on: connection
            )
            return updated
        }
    }
}
