import Contracts
import Foundation

/// Who is calling, as proven by a verified access token. Every query is scoped by ``organizationID``.
package struct Identity: Sendable, Equatable {
    /// The user (`sub`).
    package var userID: UUID
    /// The user's organization (`org`); the only tenant a request may touch.
    package var organizationID: UUID
    /// The user's role (`role`).
    package var role: Role
    /// The user's login email (`email`).
    package var email: String

    package init(userID: UUID, organizationID: UUID, role: Role, email: String) {
        self.userID = userID
        self.organizationID = organizationID
        self.role = role
        self.email = email
    }
}
