import ArgumentParser
import Contracts
import Foundation
import Logging
import ServiceKit
import UsersApp

/// The users executable: without arguments it runs the service; `create-admin` makes an admin from the
/// command line, for a deployment whose registration is closed; `healthcheck` probes the running service.
@main
struct UsersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "users",
        abstract: "The users service: accounts, login and tokens, manager profiles and organizations.",
        subcommands: [Serve.self, CreateAdmin.self, Healthcheck.self],
        defaultSubcommand: Serve.self
    )
}

/// Runs the service until SIGTERM or SIGINT.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the service (the default).")

    func run() async {
        await ServiceMain.run(
            service: UsersService.name,
            defaultPort: UsersService.defaultPort,
            secrets: ["JWT_PRIVATE_KEY"]
        ) { configuration, logger in
            try await buildApplication(configuration: configuration, logger: logger)
        }
    }
}

/// `users healthcheck`: the container image's health probe, as every service has it (`ServiceMain`).
struct Healthcheck: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Exit 0 when the service running with the same settings answers /health/ready with 200."
    )

    func run() async {
        await ServiceMain.healthcheck(service: UsersService.name, defaultPort: UsersService.defaultPort)
    }
}

/// `users create-admin`: creates (or finds) an admin and prints a one-time token for them to set a password.
struct CreateAdmin: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create-admin",
        abstract: "Create an admin (and their organization) and print a one-time password reset token.",
        discussion: """
            Reads the service's configuration from the environment (POSTGRES_*, USERS_BCRYPT_COST, …) and \
            applies the migrations first. The organization is created when none has that name. Running it \
            again for the same admin only prints a new token. Works while registration is closed.
            """
    )

    @Option(help: "The admin's login email.") var email: String
    @Option(help: "The admin's full name.") var fullName: String
    @Option(help: "The organization's name.") var organization: String

    func run() async throws {
        let configuration: ServiceConfiguration
        do {
            configuration = try ServiceConfiguration(
                service: UsersService.name,
                defaultPort: UsersService.defaultPort,
                settings: Settings().scoped(to: UsersService.name)
            )
        } catch {
            throw Self.fail("\(error)")
        }
        // Logs go to standard error, standard output carries only the answer; unless LOG_LEVEL asks for more, only
        // warnings, so that a failure ends in its one line rather than the driver's retries.
        let level = configuration.settings.raw("LOG_LEVEL") == nil ? .warning : configuration.logging.level
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        var logger = Logger(label: "users.create-admin")
        logger.logLevel = level
        let admin: FirstAdmin
        do {
            admin = try await createFirstAdmin(
                FirstAdminRequest(email: email, fullName: fullName, organizationName: organization),
                configuration: configuration,
                logger: logger
            )
        } catch {
            throw Self.fail(FirstAdminError.line(for: error, postgres: configuration.postgres))
        }
        print(Self.report(admin))
    }

    /// What the operator reads: what was done, the token, and how to use it.
    static func report(_ admin: FirstAdmin) -> String {
        let organization =
            admin.createdOrganization
            ? "Created the organization \"\(admin.organization.name)\""
            : "The organization \"\(admin.organization.name)\" exists"
        let user =
            admin.createdUser
            ? "created the admin \(admin.user.email) (\(admin.user.fullName))"
            : "\(admin.user.email) is already its admin"
        let body = #"{"reset_token":"\#(admin.resetToken)","new_password":"<10 to 72 bytes>"}"#
        return """
            \(organization) (id \(admin.organization.id.wireString)); \(user) \
            (id \(admin.user.id.wireString)).

            One-time password reset token, valid until \(Timestamp.format(admin.resetExpiresAt)):

                \(admin.resetToken)

            Give it to \(admin.user.email) privately. It sets their password once, through the proxy:

                curl -X POST https://<host>/api/auth/password-reset -H 'Content-Type: application/json' \\
                    -d '\(body)'

            Then they sign in with POST /api/auth/login. Running this command again prints a new token, and this
            one no longer works.
            """
    }

    /// Writes `line` to standard error and gives the failure the command exits with.
    static func fail(_ line: String) -> ExitCode {
        FileHandle.standardError.write(Data("users create-admin: \(line)\n".utf8))
        return .failure
    }
}
