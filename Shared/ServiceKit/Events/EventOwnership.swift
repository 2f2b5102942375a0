/// Which service may publish which events: the platform's own domains (the first part of an event type) each
/// belong to the one service that produces them, and everything else comes from outside systems, which only
/// reach the stream through the activity service's ingestion. A consumer applies an entry only when the relay
/// that published it (its `origin`) owns its type, so a forged `rates.published` is never applied, whatever
/// its envelope claims.
package enum EventOwnership {
    /// The platform's event domains and the service whose relay publishes each.
    package static let platformDomains: [String: String] = [
        "users": "users",
        "organizations": "users",
        "rates": "rates",
        "feedback": "feedback",
        "activity": "activity",
    ]

    /// The service whose relay publishes the events of outside systems (the quoting core's `quote.*`,
    /// `customer.*`): they enter only through its ingestion endpoint.
    package static let outsideEventsPublisher = "activity"

    /// The platform's services; none of them is an outside system, so an ingestion key may not speak for one.
    package static let platformServices: Set<String> = ["users", "rates", "activity", "feedback", "dashboard"]

    /// The domain of `type`: its part before the first dot.
    package static func domain(of type: some StringProtocol) -> Substring {
        Substring(type).prefix { $0 != "." }
    }

    /// The service whose relay alone may publish events of `type`.
    package static func owner(of type: some StringProtocol) -> String {
        platformDomains[String(domain(of: type))] ?? outsideEventsPublisher
    }

    /// Whether `type` is one of the platform's own events, which no outside system may send.
    package static func isPlatformType(_ type: some StringProtocol) -> Bool {
        platformDomains[String(domain(of: type))] != nil
    }

    /// Why an entry of `type` published by `origin` must not be applied, or nil when `origin` owns `type`.
    package static func refusal(type: String, origin: String?) -> String? {
        let owner = owner(of: type)
        guard let origin else {
            return "the entry has no origin; \(type) is applied only when published by the \(owner) service's relay"
        }
        guard origin != owner else { return nil }
        return "\(type) was published by \(origin), but only the \(owner) service's relay may publish it"
    }
}
