import HummingbirdBcrypt
import NIOPosix

/// bcrypt hashing and checking, run on NIO's thread pool: a cost-12 hash takes a few hundred milliseconds of
/// CPU and must never occupy one of the few threads that run every request's async work.
struct PasswordHasher: Sendable {
    let cost: Int
    /// A hash of a password nobody knows, checked when the email is unknown so that the answer takes as long
    /// as for a wrong password and timing does not reveal which emails have accounts.
    let decoy: String

    static func make(cost: Int) async throws -> PasswordHasher {
        let decoy = try await NIOThreadPool.singleton.runIfActive {
            Bcrypt.hash("decoy-\(UInt64.random(in: .min ... .max))", cost: UInt8(cost))
        }
        return PasswordHasher(cost: cost, decoy: decoy)
    }

    func hash(_ password: String) async throws -> String {
        let cost = UInt8(self.cost)
        return try await NIOThreadPool.singleton.runIfActive { Bcrypt.hash(password, cost: cost) }
    }

    func verify(_ password: String, against hash: String) async throws -> Bool {
        try await NIOThreadPool.singleton.runIfActive { Bcrypt.verify(password, hash: hash) }
    }
}
