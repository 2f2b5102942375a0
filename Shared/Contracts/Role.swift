/// What a user may do inside their organization.
public enum Role: String, Codable, Sendable, CaseIterable {
    /// Manages the organization, its users and every review queue.
    case admin
    /// A sales manager: builds quotes, sees their own entries.
    case manager
}
