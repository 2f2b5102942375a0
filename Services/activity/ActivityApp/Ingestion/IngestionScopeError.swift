import Contracts
import ServiceKit

/// Envelopes of a batch that its ingestion key may not send (another source, a type it does not list, an
/// event of the platform's own): the whole batch is refused with 403 and every reason by index, as a 422
/// lists its field errors, and nothing of it is stored.
struct IngestionScopeError: ProblemReporting, Equatable {
    /// The source the key ingests for.
    var source: String
    var errors: [FieldError]

    var problem: Problem {
        Problem(
            type: "urn:quoting:problem:ingestion-scope",
            title: "Forbidden",
            status: 403,
            detail: "the batch is outside what the ingestion key of \(source) may send ("
                + (errors.count == 1 ? "1 reason" : "\(errors.count) reasons") + "); nothing of it was stored",
            errors: errors
        )
    }
}
