import RatesApp
import ServiceKit

@main
struct RatesMain {
    static func main() async {
        await ServiceMain.run(
            service: RatesService.name,
            defaultPort: RatesService.defaultPort
        ) { configuration, logger in
            try await buildApplication(configuration: configuration, logger: logger)
        }
    }
}
