import ServiceKit
import UsersApp

@main
struct UsersMain {
    static func main() async {
        await ServiceMain.run(
            service: UsersService.name,
            defaultPort: UsersService.defaultPort,
            secrets: ["JWT_PRIVATE_KEY"]
        ) { configuration, logger in
            try await buildApplication(configuration: configuration, logger: logger)
        }
    }
}
