import Contracts
import Hummingbird

// The contracts module depends on Foundation only; this is where its answer types become responses.
// Handlers return them directly and the context's encoder writes them as JSON.

extension ListPage: ResponseEncodable {}
extension ActivityEntry: ResponseEncodable {}
extension IngestionReceipt: ResponseEncodable {}
extension Readiness: ResponseEncodable {}
extension TokenResponse: ResponseEncodable {}
extension RegistrationResponse: ResponseEncodable {}
extension UserAccount: ResponseEncodable {}
extension Organization: ResponseEncodable {}
extension CurrentUser: ResponseEncodable {}
