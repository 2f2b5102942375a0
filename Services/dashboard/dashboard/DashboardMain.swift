import DashboardApp
import ServiceKit

@main
struct DashboardMain {
    static func main() async {
        await ServiceMain.run(
            service: DashboardService.name,
            defaultPort: DashboardService.defaultPort
        ) { configuration, logger in
            try await buildApplication(configuration: configuration, logger: logger)
        }
    }
}
