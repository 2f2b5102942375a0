import Contracts
import Hummingbird

// The contracts module depends on Foundation only; this is where the platform's shared answer types become
// responses. Each service conforms its own answer types the same way, in its own module.

extension ListPage: ResponseEncodable {}
extension Readiness: ResponseEncodable {}
