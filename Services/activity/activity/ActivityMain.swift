import ActivityApp
import ServiceKit

@main
struct ActivityMain {
    static func main() async {
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
