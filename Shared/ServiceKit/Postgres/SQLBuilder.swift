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

    /// The statement with its bound values.
    package var query: PostgresQuery {
        PostgresQuery(unsafeSQL: sql, binds: bindings)
    }
}
