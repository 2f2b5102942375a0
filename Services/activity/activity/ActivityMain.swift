import ActivityApp
import ArgumentParser
import Foundation
import Logging
import ServiceKit

/// The activity executable: without arguments it runs the service; `dead-letters` lists and replays the
/// entries consumers gave up on; `healthcheck` probes the running service.
@main
struct ActivityCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "activity",
        abstract: "The activity service: the activity log, its ingestion and its export.",
        subcommands: [Serve.self, DeadLettersCommand.self, Healthcheck.self],
        defaultSubcommand: Serve.self
    )
}

/// Runs the service until SIGTERM or SIGINT.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the service (the default).")

    func run() async {
        await ServiceMain.run(
            service: ActivityService.name,
            defaultPort: ActivityService.defaultPort,
            defaultMaxBodySize: ActivityService.defaultMaxBodySize,
            secrets: ["ACTIVITY_INGEST_KEYS"]
        ) { configuration, logger in
            try await buildApplication(configuration: configuration, logger: logger)
        }
    }
}

/// `activity healthcheck`: the container image's health probe, as every service has it (`ServiceMain`).
struct Healthcheck: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Exit 0 when the service running with the same settings answers /health/ready with 200."
    )

    func run() async {
        await ServiceMain.healthcheck(service: ActivityService.name, defaultPort: ActivityService.defaultPort)
    }
}

/// `activity dead-letters list | replay`: the dead-letter stream, for an operator (`DeadLetters`).
struct DeadLettersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dead-letters",
        abstract: "List the entries consumers gave up on, or replay them once their cause is fixed.",
        discussion: """
            Reads the service's configuration from the environment (REDIS_*, EVENTS_*), as the service does. \
            Each replay is logged to standard error; standard output carries the listing or the outcomes.
            """,
        subcommands: [List.self, Replay.self]
    )

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Every dead letter, oldest first: its id, when and by which group, the event, and why."
        )

        func run() async throws {
            try await DeadLettersCommand.withDeadLetters { deadLetters in
                let letters = try await deadLetters.list()
                for letter in letters {
                    print(
                        [
                            letter.id, letter.failedAt ?? "-", "group=\(letter.group ?? "-")",
                            "type=\(letter.type ?? "-")", "event=\(letter.eventID ?? "-")",
                            "deliveries=\(letter.deliveries ?? "-")",
                            letter.replayable ? "" : "(no event to replay)",
                            "reason: \(letter.reason ?? "-")",
                        ].filter { !$0.isEmpty }.joined(separator: "  ")
                    )
                }
                print("\(letters.count) dead letter\(letters.count == 1 ? "" : "s")")
            }
        }
    }

    struct Replay: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add dead letters' events to the event stream again and delete the letters.",
            discussion: "Replay only entries whose cause is gone: the others come back to the dead letters."
        )

        @Option(name: .customLong("id"), help: "A dead letter's id (as `list` prints it); repeat for several.")
        var ids: [String] = []
        @Flag(help: "Replay every dead letter.") var all = false

        func validate() throws {
            guard all != !ids.isEmpty else { throw ValidationError("say which: --id <id> (one or more) or --all") }
        }

        func run() async throws {
            try await DeadLettersCommand.withDeadLetters { deadLetters in
                var replayed = 0
                for (id, outcome) in try await deadLetters.replay(all ? nil : ids) {
                    switch outcome {
                    case .replayed(let entryID):
                        replayed += 1
                        print("\(id)  replayed as \(entryID)")
                    case .alreadyReplayed: print("\(id)  deleted: its event was replayed from another letter")
                    case .notFound: print("\(id)  not found (replayed or deleted before)")
                    case .nothingToReplay: print("\(id)  kept: it holds no event to replay")
                    }
                }
                print("\(replayed) replayed")
            }
        }
    }

    /// Runs `body` with the dead letters of the Redis the service's configuration names.
    static func withDeadLetters(_ body: (DeadLetters) async throws -> Void) async throws {
        let configuration: ServiceConfiguration
        do {
            configuration = try ServiceConfiguration(
                service: ActivityService.name,
                defaultPort: ActivityService.defaultPort,
                settings: Settings().scoped(to: ActivityService.name)
            )
        } catch {
            throw fail("\(error)")
        }
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = .notice
            return handler
        }
        let logger = Logger(label: "activity.dead-letters")
        let redis = RedisClient(settings: configuration.redis, logger: logger)
        do {
            try await body(DeadLetters(redis: redis, events: configuration.events, logger: logger))
            await redis.shutdown()
        } catch {
            await redis.shutdown()
            throw fail("\(error)")
        }
    }

    /// Writes `line` to standard error and gives the failure the command exits with.
    static func fail(_ line: String) -> ExitCode {
        FileHandle.standardError.write(Data("activity dead-letters: \(line)\n".utf8))
        return .failure
    }
}
