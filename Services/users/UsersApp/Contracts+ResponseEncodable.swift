import Contracts
import Hummingbird

// The users service's own answer types become responses here, as ServiceKit does for the shared ones.

extension PasswordResetToken: ResponseEncodable {}
