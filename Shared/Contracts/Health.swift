/// The body of `GET /health/ready`: whether each dependency answered.
public struct Readiness: Codable, Sendable, Equatable {
    /// `ok` when every check passed, `unavailable` otherwise.
    public var status: String
    /// The service that answered.
    public var service: String
    /// Each dependency (`postgres`, `redis`) with `ok` or the reason it failed.
    public var checks: [String: String]

    public init(status: String, service: String, checks: [String: String]) {
        self.status = status
        self.service = service
        self.checks = checks
    }
}
