import PostgresNIO

/// Builds a statement from SQL fragments written in the code and values bound as parameters, for queries
/// whose shape depends on the request (optional filters). Fragments are `StaticString`, so text from a
/// request can only ever arrive as a bound value.
package struct SQLBuilder: Sendable {
    private var sql: String
    private var bindings = PostgresBindings()

    package init(_ fragment: StaticString = "") {
        sql = fragment.description
    }

    /// Appends SQL written in the code.
    package mutating func append(_ fragment: StaticString) {
        sql += fragment.description
    }

    /// Appends a placeholder (`$n`) bound to `value`.
    package mutating func bind(_ value: some PostgresDynamicTypeEncodable & Sendable) {
        bindings.append(value)
        sql += "$\(bindings.count)"
    }

    /// Appends ` AND <condition>` bound to `value` when there is one: an optional filter of a list
    /// (`query.and("actor_id = ", filter.actorID)`). `condition` ends where its value goes.
    package mutating func and<Value: PostgresDynamicTypeEncodable & Sendable>(
        _ condition: StaticString,
        _ value: Value?
    ) {
        guard let value else { return }
        sql += " AND " + condition.description
        bind(value)
    }

    /// The statement with its bound values.
    package var query: PostgresQuery {
        PostgresQuery(unsafeSQL: sql, binds: bindings)
    }
}
