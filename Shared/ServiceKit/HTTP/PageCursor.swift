import Contracts
import Foundation

/// A position in a list ordered by a row's time and id: handed to clients as opaque text (`next_cursor`), it
/// starts the next page right after that row whatever its depth (keyset paging: an index range scan, where a
/// numbered page would make Postgres read and drop every row before it).
package struct PageCursor: Sendable, Equatable {
    /// The row's time in microseconds since the Unix epoch (Postgres's precision).
    package var microseconds: Int64
    package var id: UUID

    package init(microseconds: Int64, id: UUID) {
        self.microseconds = microseconds
        self.id = id
    }

    /// The position of a row with `time` and `id`.
    package init(time: Date, id: UUID) {
        self.init(microseconds: Int64((time.timeIntervalSince1970 * 1_000_000).rounded()), id: id)
    }

    /// Parses the opaque text of `next_cursor`; nil for anything this API did not give out.
    package init?(_ text: String) {
        guard let data = Base64URL.decode(text), let decoded = String(data: data, encoding: .utf8) else {
            return nil
        }
        let parts = decoded.split(separator: "/")
        guard parts.count == 2, let micros = Int64(parts[0]), let id = UUID(uuidString: String(parts[1])) else {
            return nil
        }
        self.init(microseconds: micros, id: id)
    }

    /// The opaque text handed to clients.
    package var text: String {
        Base64URL.encode(Data("\(microseconds)/\(id.wireString)".utf8))
    }
}
