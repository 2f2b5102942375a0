import Contracts
import Foundation
import Hummingbird
import ServiceKit

/// `GET /api/organizations/current` (any member) and `PATCH` (admins): the details printed on quotes.
struct OrganizationController: Sendable {
    let database: Database
    let accounts: AccountStore
    let events: EventRecorder

    static let fields: Set<String> = ["name", "legal_name", "inn", "kpp", "address", "phone", "email", "website"]

    func addRoutes(to router: Router<ServiceRequestContext>) {
        router.group("api/organizations/current").add(middleware: RequireRoleMiddleware()).get(use: current)
        router.group("api/organizations/current").add(middleware: RequireRoleMiddleware(.admin)).patch(use: update)
    }

    @Sendable func current(_ request: Request, context: ServiceRequestContext) async throws -> Organization {
        let identity = try context.requireIdentity()
        let accounts = self.accounts
        return try await database.withConnection { connection in
            guard let organization = try await accounts.organization(identity.organizationID, on: connection) else {
                throw APIError.notFound("your organization no longer exists")
            }
            return organization
        }
    }

    @Sendable func update(_ request: Request, context: ServiceRequestContext) async throws -> Organization {
        let identity = try context.requireIdentity()
        var body = try await JSONBody.read(request, context: context, allowed: Self.fields)
        let name = body.patchString("name", maxLength: 200)
        if case .clear = name { body.reject("name", "must not be empty") }
        let legalName = body.patchString("legal_name", maxLength: 300)
        let inn = body.patchString("inn", maxLength: 12)
        if case .set(let value) = inn, !OrganizationDetails.isValidINN(value) {
            body.reject("inn", "must be an INN: 10 or 12 digits with valid check digits")
        }
        let kpp = body.patchString("kpp", maxLength: 9)
        if case .set(let value) = kpp, !OrganizationDetails.isValidKPP(value) {
            body.reject("kpp", "must be a KPP: 9 characters, such as 770701001")
        }
        let address = body.patchString("address", maxLength: 500)
        let phone = ProfileController.phone(&body, "phone")
        let email = ProfileController.contactEmail(&body, "email")
        var website = body.patchString("website", maxLength: 300)
        if case .set(let value) = website {
            if let url = FieldFormats.webURL(value, assumeHTTPS: true) {
                website = .set(url)
            } else {
                body.reject("website", "must be a web address, such as https://example.ru")
            }
        }
        try body.validate()

        let (accounts, events) = (self.accounts, self.events)
        let newWebsite = website
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
            if let value = name.value { organization.name = value }
            organization.legalName = legalName.applied(to: organization.legalName)
            organization.inn = inn.applied(to: organization.inn)
            organization.kpp = kpp.applied(to: organization.kpp)
            organization.address = address.applied(to: organization.address)
            organization.phone = phone.applied(to: organization.phone)
            organization.email = email.applied(to: organization.email)
            organization.website = newWebsite.applied(to: organization.website)
            let changes = ChangeSet.payload(before: before, after: organization.auditFields)
            guard !ChangeSet.isEmpty(changes) else { return organization }
            let updated = try await accounts.update(organization, on: connection)
            try await events.record(
                "organizations.updated",
                .update,
                resource: EventResource(type: "organization", id: updated.id.wireString),
                payload: changes,
                context: context,
                on: connection
            )
            return updated
        }
    }
}
