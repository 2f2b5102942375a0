import Contracts
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import ServiceKit

/// `POST /api/auth/register`, `/login`, `/refresh`, `/logout`, `/logout-all`. Answers carrying tokens are
/// `Cache-Control: no-store`. The first four work in either ``SessionMode``.
struct AuthController: Sendable {
    let database: Database
    let accounts: AccountStore
    let tokens: TokenIssuer
    let cookie: RefreshCookie
    let hasher: PasswordHasher
    let attempts: PasswordAttempts
    let events: EventRecorder
    let registrationEnabled: Bool

    /// The one answer to every failed login: it does not say whether the email exists or the account is active.
    static let loginRefused = APIError.unauthorized("the email or password is wrong")

    func addRoutes(to router: Router<ServiceRequestContext>) {
        let group = router.group("api/auth")
        group.post("register", use: register)
        group.post("login", use: login)
        group.post("refresh", use: refresh)
        group.post("logout", use: logout)
        group.post("logout-all", use: logoutAll)
    }

    @Sendable func register(
        _ request: Request,
        context: ServiceRequestContext
    ) async throws -> EditedResponse<RegistrationResponse> {
        guard registrationEnabled else {
            throw APIError.forbidden("registration is turned off here; ask your organization's admin for an account")
        }
        let mode = try SessionMode(of: request)
        let body = try await request.decode(as: RegistrationBody.self, context: context)
        let (organizationName, fullName, email, password) = (
            body.organizationName, body.fullName, body.email, body.password
        )

        let hash = try await hasher.hash(password)
        let registration = try await database.withTransaction { connection in
            let organization = try await accounts.createOrganization(name: organizationName, on: connection)
            let user = try await accounts.createUser(
                .init(
                    organizationID: organization.id,
                    email: email,
                    passwordHash: hash,
                    role: .admin,
                    fullName: fullName
                ),
                on: connection
            )
            let issued = try await tokens.issue(for: user, on: connection)
            try await events.record(
                UserRegistered(
                    organization: .init(id: organization.id, name: organization.name),
                    email: user.email,
                    role: .admin,
                    fullName: user.fullName
                ),
                resource: EventResource(type: "user", id: user.id.wireString),
                actor: user.identity,
                context: context,
                on: connection
            )
            return RegistrationResponse(user: user, organization: organization, tokens: issued)
        }
        var answer = registration
        let headers = tokenHeaders(moving: &answer.refreshToken, mode: mode, request: request)
        return EditedResponse(status: .created, headers: headers, response: answer)
    }

    @Sendable func login(
        _ request: Request,
        context: ServiceRequestContext
    ) async throws -> EditedResponse<TokenResponse> {
        let mode = try SessionMode(of: request)
        let body = try await request.decode(as: LoginBody.self, context: context)
        let (email, password) = (body.email, body.password)

        let found = try await database.withConnection { connection in
            try await accounts.credentials(email: email, on: connection)
        }
        // Unknown emails count too: otherwise the limit itself would tell which emails have accounts.
        if case .refused(let retryAfter) = await attempts.begin(email: email) {
            try await recordLoginFailure(email: email, account: found?.0, reason: .tooManyFailures, context: context)
            throw attempts.refusal(retryAfter: retryAfter)
        }
        // Unknown emails are checked against a decoy hash so both refusals take the same time.
        let matches = try await hasher.verify(password, against: found?.1 ?? hasher.decoy)
        guard let (user, _) = found, matches, user.active else {
            let reason: LoginFailureReason = found == nil ? .unknownEmail : (matches ? .inactive : .wrongPassword)
            try await recordLoginFailure(email: email, account: found?.0, reason: reason, context: context)
            throw Self.loginRefused
        }
        await attempts.succeeded(email: email)
        let issued = try await database.withTransaction { connection in
            try await accounts.recordLogin(user.id, on: connection)
            let issued = try await tokens.issue(for: user, on: connection)
            try await events.record(
                UserLoggedIn(),
                resource: EventResource(type: "user", id: user.id.wireString),
                actor: user.identity,
                context: context,
                on: connection
            )
            return issued
        }
        return answer(issued, mode: mode, request: request)
    }

    /// The answer carrying freshly issued tokens.
    private func answer(_ issued: TokenResponse, mode: SessionMode, request: Request) -> EditedResponse<TokenResponse> {
        var answer = issued
        let headers = tokenHeaders(moving: &answer.refreshToken, mode: mode, request: request)
        return EditedResponse(headers: headers, response: answer)
    }

    /// The headers of an answer carrying tokens: never stored by caches, and in cookie mode the refresh token
    /// moved out of the body (`token`) into the cookie.
    private func tokenHeaders(moving token: inout String?, mode: SessionMode, request: Request) -> HTTPFields {
        var headers = HTTPFields.noStore
        if mode == .cookie, let value = token {
            token = nil
            headers[.setCookie] = cookie.setting(value, for: request).description
        }
        return headers
    }

    /// The refresh token a refresh or logout presents: the body's, or in cookie mode the cookie's (the body is
    /// then not read).
    private func presentedToken(
        _ request: Request,
        mode: SessionMode,
        context: ServiceRequestContext
    ) async throws -> String? {
        switch mode {
        case .body: try await request.decode(as: RefreshTokenBody.self, context: context).refreshToken
        case .cookie: RefreshCookie.token(in: request)
        }
    }

    /// Records a refused login, attributed to the account when the email has one.
    private func recordLoginFailure(
        email: String,
        account: UserAccount?,
        reason: LoginFailureReason,
        context: ServiceRequestContext
    ) async throws {
        try await database.withTransaction { connection in
            try await events.record(
                UserLoginFailed(email: email, reason: reason),
                resource: EventResource(type: "user", id: account?.id.wireString),
                organizationID: account?.organizationID,
                context: context,
                on: connection
            )
        }
    }

    @Sendable func refresh(
        _ request: Request,
        context: ServiceRequestContext
    ) async throws -> EditedResponse<TokenResponse> {
        let mode = try SessionMode(of: request)
        let clearing = mode == .cookie ? cookie.clearing(for: request) : nil
        guard let token = try await presentedToken(request, mode: mode, context: context) else {
            throw SessionRefused(detail: "no refresh token was sent: sign in again", clearing: clearing)
        }
        let refused = SessionRefused(detail: "the refresh token is not valid", clearing: clearing)
        let outcome = try await database.withTransaction { connection in
            let outcome = try await tokens.refresh(token, accounts: accounts, on: connection)
            if case .reused(let family, let user) = outcome {
                try await events.record(
                    TokenFamilyRevoked(familyID: family, reason: "refresh token reused"),
                    resource: EventResource(type: "user", id: user.id.wireString),
                    actor: user.identity,
                    context: context,
                    on: connection
                )
            }
            return outcome
        }
        switch outcome {
        case .rotated(let issued):
            return answer(issued, mode: mode, request: request)
        case .reused:
            context.logger.warning("a rotated refresh token was presented again: its family is revoked")
            throw refused
        case .invalid:
            throw refused
        }
    }

    /// Ends the session of the refresh token presented; in cookie mode also clears the cookie, with or without one.
    @Sendable func logout(_ request: Request, context: ServiceRequestContext) async throws -> Response {
        let mode = try SessionMode(of: request)
        var answer = Response(status: .noContent)
        if mode == .cookie { answer.setCookie(cookie.clearing(for: request)) }
        guard let token = try await presentedToken(request, mode: mode, context: context) else { return answer }
        try await database.withTransaction { connection in
            guard let revoked = try await tokens.revokeFamily(of: token, on: connection) else { return }
            try await events.record(
                UserLoggedOut(familyID: revoked.family),
                resource: EventResource(type: "user", id: revoked.user.wireString),
                context: context,
                on: connection
            )
        }
        return answer
    }

    /// Signs the caller out everywhere: every refresh token of theirs is revoked (their access tokens live on
    /// until they expire, at most `JWT_ACCESS_TTL`).
    @Sendable func logoutAll(_ request: Request, context: ServiceRequestContext) async throws -> HTTPResponse.Status {
        let identity = try context.requireIdentity()
        try await database.withTransaction { connection in
            try await tokens.revokeAll(userID: identity.userID, on: connection)
            try await events.record(
                UserLoggedOutEverywhere(),
                resource: EventResource(type: "user", id: identity.userIDText),
                context: context,
                on: connection
            )
        }
        return .noContent
    }
}
