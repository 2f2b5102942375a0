import Contracts
import Foundation

/// Who is calling, as proven by a verified access token. Every query is scoped by ``organizationID``.
package struct Identity: Sendable, Equatable {
    /// The user (`sub`).
    package let userID: UUID
    /// The user's organization (`org`); the only tenant a request may touch.
    package let organizationID: UUID
    /// The user's role (`role`).
    package let role: Role
    /// The user's login email (`email`).
    package let email: String
    /// ``userID`` and ``organizationID`` as lowercase text, made once: logs and rate limit keys use them on
    /// every request.
    package let userIDText: String
    package let organizationIDText: String

    package init(userID: UUID, organizationID: UUID, role: Role, email: String) {
        self.userID = userID
        self.organizationID = organizationID
        self.role = role
        self.email = email
        self.userIDText = userID.wireString
        self.organizationIDText = organizationID.wireString
    }
}
