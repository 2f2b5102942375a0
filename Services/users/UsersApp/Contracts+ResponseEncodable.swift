import Contracts
import Hummingbird

// The users service's answer types become responses here: handlers return them directly and the context's
// encoder writes them as JSON.

extension TokenResponse: ResponseEncodable {}
extension RegistrationResponse: ResponseEncodable {}
extension UserAccount: ResponseEncodable {}
extension Organization: ResponseEncodable {}
extension CurrentUser: ResponseEncodable {}
extension PasswordResetToken: ResponseEncodable {}
