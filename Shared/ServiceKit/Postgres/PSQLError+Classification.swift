import PostgresNIO

extension PSQLError {
    /// The SQLSTATE of a server error (`23505`, `57014`, …), nil for client-side failures.
    package var sqlState: String? {
        serverInfo?[.sqlState]
    }

    /// Whether the failure is about the database being unreachable or overloaded (answer 503 and retry),
    /// rather than about the query.
    package var isTransient: Bool {
        switch code {
        case .connectionError, .serverClosedConnection, .clientClosedConnection, .uncleanShutdown, .poolClosed,
            .queryCancelled:
            return true
        case .server:
            guard let state = sqlState else { return false }
            // 08: connection exception, 53: insufficient resources, 57014: statement timeout,
            // 57P0x: server shutting down, 40001/40P01: serialization failure and deadlock.
            return state.hasPrefix("08") || state.hasPrefix("53") || state == "57014" || state.hasPrefix("57P")
                || state == "40001" || state == "40P01" || state == "55P03"
        default:
            return false
        }
    }
}

/// SQLSTATE codes the repositories map to answers.
package enum SQLState {
    package static let uniqueViolation = "23505"
    package static let foreignKeyViolation = "23503"
    package static let checkViolation = "23514"
}
