import ServiceKit
import UsersApp

@main
struct UsersMain {
    static func main() async {
        await ServiceMain.run(
            service: UsersService.name,
            defaultPort: UsersService.defaultPort
        ) { configuration, logger in
            try await buildApplication(configuration: configuration, logger: logger)
        }
    }
}
