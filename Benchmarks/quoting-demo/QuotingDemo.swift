import ArgumentParser
import AsyncHTTPClient
import Contracts
import Foundation
import NIOCore
import NIOFoundationEssentialsCompat
import NIOHTTP1

/// Creates a demo organization (an admin and a manager) through the users API and publishes a realistic
/// history of customer and quote events (the quoting core's events) through the activity ingestion endpoint,
/// the durable path, so the dashboard and the activity log have something to show. `compose/local/up` runs it
/// on an empty database; the dashboard benchmark runs it with a bigger size.
@main
struct QuotingDemo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quoting-demo",
        abstract: "Seeds a demo organization with two years of customers and quotes."
    )

    @Option(help: "Proxy base URL.") var proxy = "http://127.0.0.1:8080"
    @Option(help: "The quoting core's ingestion key (X-Api-Key of POST /api/activity/events).")
    var ingestKey = "dev-ingest-key"
    @Option(help: "The organization's name.") var organization = "ООО «Демо Трейд»"
    @Option(help: "The admin's login email.") var adminEmail = "demo.admin@example.ru"
    @Option(help: "The manager's login email.") var managerEmail = "demo.manager@example.ru"
    @Option(help: "The demo password of both users.") var password = "demo-password"
    @Option(help: "Customers to create.") var customers = 300
    @Option(help: "Quotes to create.") var quotes = 3000
    @Option(help: "Months of history.") var months = 24
    @Flag(help: "Do nothing when the admin already exists (the database is not empty).") var ifAbsent = false
    @Option(help: "File to write the organization id to (for scripts).") var organizationFile: String?

    func run() async throws {
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        do {
            try await seed(client)
            try await client.shutdown()
        } catch {
            try? await client.shutdown()
            throw error
        }
    }

    private func seed(_ client: HTTPClient) async throws {
        let api = API(client: client, base: proxy)
        let registration = try await api.send(
            .POST,
            "/api/auth/register",
            RegisterRequest(
                organizationName: organization,
                fullName: "Анна Смирнова",
                email: adminEmail,
                password: password
            )
        )
        if registration.status == .conflict {
            if ifAbsent {
                print("demo organization already present (\(adminEmail)); nothing to do")
                return
            }
            throw ValidationError("\(adminEmail) already has an account; choose other emails")
        }
        guard registration.status == .created else {
            throw ValidationError("registration failed: \(registration.status) \(registration.text)")
        }
        let admin = try registration.decode(RegistrationResponse.self)
        let created = try await api.send(
            .POST,
            "/api/users",
            CreateUserRequest(email: managerEmail, fullName: "Игорь Петров", role: .manager, password: password),
            token: admin.accessToken
        )
        let manager = created.status == .created ? try created.decode(UserAccount.self) : nil
        _ = try await api.send(
            .PATCH,
            "/api/organizations/current",
            [
                "legal_name": "Общество с ограниченной ответственностью «Демо Трейд»", "inn": "7707083893",
                "kpp": "770701001", "address": "Москва, ул. Тверская, д. 1", "phone": "8 (495) 123-45-67",
                "email": "sales@example.ru", "website": "example.ru",
            ],
            token: admin.accessToken
        )
        if let organizationFile {
            try admin.organization.id.wireString.write(
                toFile: organizationFile,
                atomically: true,
                encoding: .utf8
            )
        }

        var generator = HistoryGenerator(
            organization: admin.organization.id,
            users: [admin.user.id] + (manager.map { [$0.id] } ?? []),
            months: months
        )
        let events = generator.events(customers: customers, quotes: quotes)
        let started = Date()
        try await withThrowingTaskGroup(of: Void.self) { group in
            let batches = stride(from: 0, to: events.count, by: 1000).map {
                Array(events[$0..<min($0 + 1000, events.count)])
            }
            var index = 0
            for _ in 0..<min(4, batches.count) {
                let batch = batches[index]
                index += 1
                group.addTask { try await api.ingest(batch, key: ingestKey) }
            }
            while try await group.next() != nil, index < batches.count {
                let batch = batches[index]
                index += 1
                group.addTask { try await api.ingest(batch, key: ingestKey) }
            }
            try await group.waitForAll()
        }
        print(
            """
            demo organization "\(organization)" (\(admin.organization.id.wireString)): \(customers) customers, \
            \(quotes) quotes, \(events.count) events published in \(String(format: "%.1f", Date().timeIntervalSince(started))) s
              admin:   \(adminEmail) / \(password)
              manager: \(managerEmail) / \(password)
            """
        )
    }
}

/// The answers of the platform's API, for the seeder.
struct API: Sendable {
    let client: HTTPClient
    let base: String

    struct Answer {
        var status: HTTPResponseStatus
        var body: ByteBuffer
        var text: String { String(buffer: body) }
        func decode<T: Decodable>(_ type: T.Type) throws -> T {
            try ContractJSON.makeDecoder().decode(T.self, from: Data(buffer: body))
        }
    }

    func send(_ method: HTTPMethod, _ path: String, _ body: some Encodable, token: String? = nil) async throws -> Answer
    {
        var request = HTTPClientRequest(url: base + path)
        request.method = method
        request.headers.add(name: "Content-Type", value: "application/json")
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        request.body = .bytes(ByteBuffer(data: try ContractJSON.makeEncoder().encode(body)))
        let response = try await client.execute(request, timeout: .seconds(60))
        return Answer(status: response.status, body: try await response.body.collect(upTo: 16 << 20))
    }

    /// Posts a batch of envelopes, retrying until it is accepted (ids make retries harmless).
    func ingest(_ envelopes: [EventEnvelope], key: String) async throws {
        var request = HTTPClientRequest(url: base + "/api/activity/events")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "X-Api-Key", value: key)
        request.body = .bytes(ByteBuffer(data: try ContractJSON.makeEncoder().encode(envelopes)))
        for attempt in 1...20 {
            if let response = try? await client.execute(request, timeout: .seconds(60)) {
                let body = try? await response.body.collect(upTo: 1 << 20)
                if response.status == .accepted { return }
                if response.status == .unprocessableEntity || response.status == .unauthorized {
                    throw ValidationError(
                        "ingestion refused the batch: \(response.status) \(body.map { String(buffer: $0) } ?? "")"
                    )
                }
            }
            try await Task.sleep(for: .milliseconds(200 * attempt))
        }
        throw ValidationError("ingestion kept failing")
    }
}

/// Two years of a sales team's work: customers arriving, quotes drafted, sent, then accepted, rejected or left
/// to expire, in roubles mostly and some dollars, euros and yuan. Deterministic for a given size.
struct HistoryGenerator {
    let organization: UUID
    let users: [UUID]
    let months: Int
    private var random = SplitMix(seed: 2026)

    init(organization: UUID, users: [UUID], months: Int) {
        self.organization = organization
        self.users = users
        self.months = months
    }

    private static let prefixes = ["ООО", "АО", "ПАО", "ИП"]
    private static let names = [
        "Ромашка", "Вектор", "Северный ветер", "Техноплюс", "Уральские машины", "Волга-Трейд", "Балтика Логистик",
        "Сибирский лес", "Альфа Строй", "Медтехника", "Агропром", "Энергосервис", "Городские системы", "Модуль",
    ]
    private static let currencies: [(code: String, share: Double, divisor: Double)] = [
        ("RUB", 0.70, 1), ("USD", 0.15, 90), ("EUR", 0.10, 98), ("CNY", 0.05, 12.5),
    ]

    mutating func events(customers: Int, quotes: Int) -> [EventEnvelope] {
        let now = Date()
        let start = now.addingTimeInterval(-Double(months) * 30.4 * 86_400)
        var events: [EventEnvelope] = []
        var customerIDs: [(id: String, created: Date)] = []
        for index in 0..<customers {
            let created = start.addingTimeInterval(
                now.timeIntervalSince(start) * Double(index) / Double(max(customers, 1))
            )
            let id = "C-\(index + 1)"
            customerIDs.append((id, created))
            let name =
                "\(Self.prefixes[index % Self.prefixes.count]) «\(Self.names[index % Self.names.count]) \(index / Self.names.count + 1)»"
            events.append(
                envelope(
                    "customer.created",
                    .create,
                    resource: ("customer", id),
                    at: created,
                    payload: CustomerEventPayload(
                        id: id,
                        name: name,
                        inn: Self.inn(index),
                        createdAt: created,
                        version: 1
                    )
                )
            )
        }
        for index in 0..<quotes {
            let customer = customerIDs[Int(random.next() % UInt64(max(customerIDs.count, 1)))]
            let earliest = max(customer.created.timeIntervalSince1970, start.timeIntervalSince1970)
            let drafted = Date(timeIntervalSince1970: earliest + random.unit() * (now.timeIntervalSince1970 - earliest))
            let currency = pickCurrency()
            let rubles = 20_000 + random.unit() * 1_500_000
            let amount = String(format: "%.2f", rubles / currency.divisor)
            let id = "Q-\(index + 1)"
            let number = String(format: "КП-%06d", index + 1)
            var quote = QuoteEventPayload(
                id: id,
                number: number,
                customerID: customer.id,
                managerID: users[index % users.count].wireString,
                status: .draft,
                totalAmount: amount,
                currency: currency.code,
                quoteDate: Self.day(drafted),
                acceptedAt: nil,
                version: 1
            )
            events.append(envelope("quote.created", .create, resource: ("quote", id), at: drafted, payload: quote))
            let sent = drafted.addingTimeInterval(3600 + random.unit() * 3 * 86_400)
            guard sent < now, random.unit() < 0.85 else { continue }
            quote.status = .sent
            quote.version = 2
            events.append(envelope("quote.status_changed", .update, resource: ("quote", id), at: sent, payload: quote))
            let decided = sent.addingTimeInterval(86_400 + random.unit() * 20 * 86_400)
            guard decided < now else { continue }
            let roll = random.unit()
            quote.status = roll < 0.45 ? .accepted : (roll < 0.75 ? .rejected : .expired)
            quote.acceptedAt = quote.status == .accepted ? decided : nil
            quote.version = 3
            events.append(
                envelope("quote.status_changed", .update, resource: ("quote", id), at: decided, payload: quote)
            )
        }
        return events
    }

    private mutating func pickCurrency() -> (code: String, share: Double, divisor: Double) {
        var roll = random.unit()
        for currency in Self.currencies {
            roll -= currency.share
            if roll < 0 { return currency }
        }
        return Self.currencies[0]
    }

    private mutating func envelope(
        _ type: String,
        _ action: EventAction,
        resource: (type: String, id: String),
        at date: Date,
        payload: some Encodable
    ) -> EventEnvelope {
        let actor = users[Int(random.next() % UInt64(users.count))]
        return EventEnvelope(
            id: EventID.make(at: date),
            type: type,
            occurredAt: date,
            source: EventSource(service: "quoting-core", instance: "demo"),
            organizationID: organization,
            actor: EventActor(userID: actor, email: nil, ip: nil, userAgent: "quoting-demo"),
            requestID: nil,
            resource: EventResource(type: resource.type, id: resource.id),
            action: action,
            payload: (try? JSONValue(encoding: payload)) ?? [:]
        )
    }

    private static func day(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "Europe/Moscow") ?? .gmt
        let parts = calendar.dateComponents([.year, .month, .day], from: date)
        return String(format: "%04d-%02d-%02d", parts.year ?? 2026, parts.month ?? 1, parts.day ?? 1)
    }

    /// A ten-digit INN with a valid check digit.
    private static func inn(_ index: Int) -> String {
        let body = (0..<9).map { (index / Int(pow(10.0, Double($0))) + $0 * 7 + 1) % 10 }
        let weights = [2, 4, 10, 3, 5, 9, 4, 6, 8]
        let check = zip(weights, body).reduce(0) { $0 + $1.0 * $1.1 } % 11 % 10
        return (body + [check]).map(String.init).joined()
    }
}

/// A small deterministic random generator, so a given size always gives the same history.
struct SplitMix {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var value = state
        value = (value ^ (value >> 30)) &* 0xBF58_476D_1CE4_E5B9
        value = (value ^ (value >> 27)) &* 0x94D0_49BB_1331_11EB
        return value ^ (value >> 31)
    }

    mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }
}
