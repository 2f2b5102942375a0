import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import NIOFoundationEssentialsCompat
import ServiceKit
import TestSupport

@testable import RatesApp

/// How the fake CBR misbehaves for a request.
enum CBRMisbehaviour: Error, Sendable {
    case status(Int)
    case html
    case empty
    case truncated
    case wrongRoot
}

/// What the fake CBR has published and how it answers; shared between the server and the test.
actor FakeCBRState {
    private(set) var sets: [CalendarDay: Data]
    private(set) var requests: [CalendarDay] = []
    private var queued: [CBRMisbehaviour] = []
    private var permanent: CBRMisbehaviour?
    private var delay: Duration = .zero

    init(sets: [CalendarDay: Data]) {
        self.sets = sets
    }

    /// Publishes (or replaces) the set dated `date`.
    func publish(_ data: Data, on date: CalendarDay) { sets[date] = data }

    /// The next requests misbehave in this order, then it answers normally again.
    func misbehave(_ behaviours: [CBRMisbehaviour]) { queued += behaviours }

    /// Every request misbehaves like this until `recover()`.
    func breakDown(_ behaviour: CBRMisbehaviour) { permanent = behaviour }

    func recover() {
        permanent = nil
        queued = []
    }

    /// Answers every request only after `delay`.
    func slowDown(_ delay: Duration) { self.delay = delay }

    func resetRequests() { requests = [] }

    /// The answer to `date_req=day`: CBR's rule is the latest set dated on or before the day.
    func answer(_ day: CalendarDay) -> (Duration, Result<Data, CBRMisbehaviour>) {
        requests.append(day)
        if let permanent { return (delay, .failure(permanent)) }
        if !queued.isEmpty { return (delay, .failure(queued.removeFirst())) }
        guard let date = sets.keys.filter({ $0 <= day }).max(), let data = sets[date] else {
            let empty =
                #"<?xml version="1.0" encoding="windows-1251"?><ValCurs Date="01.01.1990" name="Foreign Currency Market"></ValCurs>"#
            return (delay, .success(Data(empty.utf8)))
        }
        return (delay, .success(data))
    }
}

/// A CBR stand-in served by Hummingbird on a free local port: `GET /scripts/XML_daily.asp?date_req=dd/mm/yyyy`.
struct FakeCBR: Sendable {
    let state: FakeCBRState
    let baseURL: String

    /// Runs a fake CBR that has published `sets` while `body` runs.
    static func with<Result: Sendable>(
        sets: [CalendarDay: Data],
        _ body: @Sendable (FakeCBR) async throws -> Result
    ) async throws -> Result {
        let state = FakeCBRState(sets: sets)
        let router = Router()
        router.get("scripts/XML_daily.asp") { request, _ -> Response in
            let text = request.uri.queryParameters["date_req"].map(String.init) ?? ""
            let parts = text.split(separator: "/").compactMap { Int($0) }
            guard parts.count == 3, let day = CalendarDay(year: parts[2], month: parts[1], day: parts[0]) else {
                return Response(status: .badRequest)
            }
            let (delay, answer) = await state.answer(day)
            if delay > .zero { try await Task.sleep(for: delay) }
            return Self.response(answer)
        }
        let (ports, portFound) = AsyncStream.makeStream(of: Int.self)
        let server = Application(
            router: router,
            configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in
                portFound.yield(channel.localAddress?.port ?? 0)
                portFound.finish()
            },
            logger: TestInfrastructure.logger("fake-cbr")
        )
        return try await withRunningServices([server]) {
            let port = try await withDeadline(.seconds(60), waitingFor: "the fake CBR to listen") {
                for await found in ports { return found }
                throw CancellationError()
            }
            return try await body(FakeCBR(state: state, baseURL: "http://127.0.0.1:\(port)/scripts/"))
        }
    }

    /// Runs a fake CBR with the March 2026 sets published.
    static func withMarch2026<Result: Sendable>(
        _ body: @Sendable (FakeCBR) async throws -> Result
    ) async throws
        -> Result
    {
        try await with(sets: try CBRFixtures.march2026(), body)
    }

    private static func response(_ answer: Result<Data, CBRMisbehaviour>) -> Response {
        let xml: HTTPFields = [.contentType: "application/xml; charset=windows-1251", .cacheControl: "no-cache"]
        switch answer {
        case .success(let data):
            return Response(status: .ok, headers: xml, body: .init(byteBuffer: ByteBuffer(data: data)))
        case .failure(.status(let code)):
            return Response(status: .init(code: code), headers: [.contentType: "text/plain"])
        case .failure(.html):
            let page =
                "<!DOCTYPE html><html><head><title>Проверка браузера</title></head><body>DDoS-Guard</body></html>"
            return Response(
                status: .ok,
                headers: [.contentType: "text/html; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(string: page))
            )
        case .failure(.empty):
            return Response(status: .ok, headers: xml)
        case .failure(.truncated):
            let data = (try? CBRFixtures.daily()) ?? Data()
            return Response(status: .ok, headers: xml, body: .init(byteBuffer: ByteBuffer(data: data.prefix(4000))))
        case .failure(.wrongRoot):
            let body = #"<?xml version="1.0" encoding="windows-1251"?><Error>Service unavailable</Error>"#
            return Response(status: .ok, headers: xml, body: .init(byteBuffer: ByteBuffer(string: body)))
        }
    }
}
