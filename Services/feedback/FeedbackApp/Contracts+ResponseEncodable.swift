import Contracts
import Hummingbird

// The feedback contracts become responses here: handlers return them directly and the context's encoder
// writes them as JSON.

extension FeedbackItem: ResponseEncodable {}
extension FeedbackStatusCounts: ResponseEncodable {}
