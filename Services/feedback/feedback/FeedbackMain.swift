import FeedbackApp
import ServiceKit

@main
struct FeedbackMain {
    static func main() async {
        await ServiceMain.run(
            service: FeedbackService.name,
            defaultPort: FeedbackService.defaultPort
        ) { configuration, logger in
            try await buildApplication(configuration: configuration, logger: logger)
        }
    }
}
