// swift-tools-version:6.2
import PackageDescription

/// One list of compiler settings for every target: Swift 6 mode with strict concurrency.
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

/// The five services: folder name under `Services/`, the prefix of their library target, and the
/// dependencies only that service has.
let services: [(folder: String, module: String, extra: [Target.Dependency])] = [
    ("users", "Users", [.product(name: "HummingbirdBcrypt", package: "hummingbird-auth")]),
    ("rates", "Rates", []),
    ("activity", "Activity", []),
    ("feedback", "Feedback", []),
    ("dashboard", "Dashboard", []),
]

/// Folders inside a service's test target that hold data files the tests read by path, not sources.
let testDataFolders: [String: [String]] = ["rates": ["Fixtures"]]

/// Data files compiled into a service's library (so its executable needs nothing beside it in a container),
/// and the notes beside them that are neither sources nor resources. Every service also compiles in its
/// OpenAPI document, `openapi.json`.
let libraryData: [String: (resources: [Resource], exclude: [String])] = [
    "users": (
        [.embedInCode("Passwords/CommonPasswords/common-passwords.txt")],
        ["Passwords/CommonPasswords/README.md"]
    )
]

/// What a service's executable needs beyond its library (the users executable has subcommands).
let executableDependencies: [String: [Target.Dependency]] = [
    "users": [
        "Contracts",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
        .product(name: "Logging", package: "swift-log"),
    ],
    "activity": [
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
        .product(name: "Logging", package: "swift-log"),
    ],
]

let hummingbird = Target.Dependency.product(name: "Hummingbird", package: "hummingbird")
let hummingbirdTesting = Target.Dependency.product(name: "HummingbirdTesting", package: "hummingbird")

var targets: [Target] = [
    .target(
        name: "Contracts",
        path: "Shared/Contracts",
        resources: ["event-envelope", "quote-event", "customer-event"].map {
            .embedInCode("Schemas/\($0).schema.json")
        },
        swiftSettings: swiftSettings
    ),
    .systemLibrary(
        name: "CHiredis",
        path: "Shared/CHiredis",
        pkgConfig: "hiredis",
        providers: [.apt(["libhiredis-dev"])]
    ),
    .target(
        name: "ServiceKit",
        dependencies: [
            "Contracts",
            "CHiredis",
            hummingbird,
            .product(name: "Configuration", package: "swift-configuration"),
            .product(name: "PostgresNIO", package: "postgres-nio"),
            .product(name: "JWTKit", package: "jwt-kit"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "AsyncAlgorithms", package: "swift-async-algorithms"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOFoundationEssentialsCompat", package: "swift-nio"),
            .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
            .product(name: "Crypto", package: "swift-crypto"),
        ],
        path: "Shared/ServiceKit",
        resources: [.embedInCode("OpenAPI/platform.json")],
        swiftSettings: swiftSettings
    ),
    .target(
        name: "TestSupport",
        dependencies: [
            "ServiceKit", "Contracts", hummingbird, hummingbirdTesting,
            .product(name: "PostgresNIO", package: "postgres-nio"),
            .product(name: "NIOFoundationEssentialsCompat", package: "swift-nio"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ],
        path: "Tests/Support",
        swiftSettings: swiftSettings
    ),
    .testTarget(
        name: "ContractsTests",
        dependencies: ["Contracts"],
        path: "Tests/ContractsTests",
        swiftSettings: swiftSettings
    ),
    .testTarget(
        name: "ServiceKitTests",
        dependencies: [
            "ServiceKit", "TestSupport", hummingbirdTesting,
            .product(name: "PostgresNIO", package: "postgres-nio"),
            .product(name: "JWTKit", package: "jwt-kit"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "NIOFoundationEssentialsCompat", package: "swift-nio"),
        ],
        path: "Tests/ServiceKitTests",
        swiftSettings: swiftSettings
    ),
    .testTarget(
        name: "BlackBoxTests",
        dependencies: ["Contracts", "ServiceKit", "TestSupport"],
        path: "Tests/BlackBoxTests",
        swiftSettings: swiftSettings
    ),
    .executableTarget(
        name: "redis-bench",
        dependencies: [
            "ServiceKit",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ],
        path: "Benchmarks/redis-bench",
        swiftSettings: swiftSettings
    ),
    .executableTarget(
        name: "ratelimit-bench",
        dependencies: [
            "ServiceKit", hummingbird,
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ],
        path: "Benchmarks/ratelimit-bench",
        swiftSettings: swiftSettings
    ),
    .executableTarget(
        name: "quoting-demo",
        dependencies: [
            "Contracts",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "NIOFoundationEssentialsCompat", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
        ],
        path: "Benchmarks/quoting-demo",
        swiftSettings: swiftSettings
    ),
    .executableTarget(
        name: "constant-server",
        dependencies: [hummingbird, .product(name: "ArgumentParser", package: "swift-argument-parser")],
        path: "Benchmarks/constant-server",
        swiftSettings: swiftSettings
    ),
    .executableTarget(
        name: "activity-load",
        dependencies: [
            "Contracts", "ServiceKit",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "NIOFoundationEssentialsCompat", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
        ],
        path: "Benchmarks/activity-load",
        swiftSettings: swiftSettings
    ),
    .executableTarget(
        name: "fastpath-bench",
        dependencies: [
            "ActivityApp", "Contracts", "ServiceKit",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "PostgresNIO", package: "postgres-nio"),
        ],
        path: "Benchmarks/fastpath-bench",
        swiftSettings: swiftSettings
    ),
    .executableTarget(
        name: "api-docs",
        dependencies: ["Contracts", "ServiceKit", .product(name: "ArgumentParser", package: "swift-argument-parser")],
        path: "Tools/api-docs",
        swiftSettings: swiftSettings
    ),
]

for service in services {
    let app = "\(service.module)App"
    targets += [
        .target(
            name: app,
            dependencies: [
                "ServiceKit", "Contracts", hummingbird,
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "AsyncAlgorithms", package: "swift-async-algorithms"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOFoundationEssentialsCompat", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ] + service.extra,
            path: "Services/\(service.folder)/\(app)",
            exclude: libraryData[service.folder]?.exclude ?? [],
            resources: [.embedInCode("openapi.json")] + (libraryData[service.folder]?.resources ?? []),
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: service.folder,
            dependencies: [.byName(name: app), "ServiceKit"] + (executableDependencies[service.folder] ?? []),
            path: "Services/\(service.folder)/\(service.folder)",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "\(app)Tests",
            dependencies: [
                .byName(name: app), "TestSupport", hummingbirdTesting,
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOFoundationEssentialsCompat", package: "swift-nio"),
            ],
            path: "Tests/\(app)Tests",
            exclude: testDataFolders[service.folder] ?? [],
            swiftSettings: swiftSettings
        ),
    ]
}

let package = Package(
    name: "quoting-platform",
    platforms: [.macOS(.v15)],
    products: services.map { .executable(name: $0.folder, targets: [$0.folder]) },
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth.git", from: "2.5.0"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.0"),
        .package(url: "https://github.com/vapor/jwt-kit.git", from: "5.7.0"),
        .package(url: "https://github.com/apple/swift-configuration.git", from: "1.4.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-async-algorithms.git", from: "1.1.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.0"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.0"..<"5.0.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.30.0"),
    ],
    targets: targets
)
