import ServiceKit

/// The body of `PATCH /api/organizations/current`: each detail left out stays, null clears it (the name cannot
/// be cleared), a value replaces it.
struct OrganizationChangeBody: Decodable {
    let name: Patch<String>
    let legalName: Patch<String>
    let inn: Patch<String>
    let kpp: Patch<String>
    let address: Patch<String>
    let phone: Patch<String>
    let email: Patch<String>
    let website: Patch<String>

    init(from decoder: any Decoder) throws {
        var body = try JSONBody(
            from: decoder,
            allowed: ["name", "legal_name", "inn", "kpp", "address", "phone", "email", "website"]
        )
        name = body.patchString("name", maxLength: 200)
        if case .clear = name { body.reject("name", "must not be empty") }
        legalName = body.patchString("legal_name", maxLength: 300)
        inn = body.patchString("inn", maxLength: 12)
        if case .set(let value) = inn, !OrganizationDetails.isValidINN(value) {
            body.reject("inn", "must be an INN: 10 or 12 digits with valid check digits")
        }
        kpp = body.patchString("kpp", maxLength: 9)
        if case .set(let value) = kpp, !OrganizationDetails.isValidKPP(value) {
            body.reject("kpp", "must be a KPP: 9 characters, such as 770701001")
        }
        address = body.patchString("address", maxLength: 500)
        phone = body.phone("phone")
        email = body.contactEmail("email")
        var website = body.patchString("website", maxLength: 300)
        if case .set(let value) = website {
            if let url = FieldFormats.webURL(value, assumeHTTPS: true) {
                website = .set(url)
            } else {
                body.reject("website", "must be a web address, such as https://example.ru")
            }
        }
        self.website = website
        try body.validate()
    }
}
