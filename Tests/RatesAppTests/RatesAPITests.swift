import Contracts
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import ServiceKit
import TestSupport
import Testing

@testable import RatesApp

@Suite("Rates API against a fake CBR")
struct RatesAPITests {
    static let noon17 = CBRFixtures.moscow(3, 17, 12)
    static let evening17 = CBRFixtures.moscow(3, 17, 16)

    @Test("an empty table is backfilled before readiness passes, so the card is never empty after a deploy")
    func backfillBeforeReady() async throws {
        try await RatesHarness.with(now: Self.noon17, waitUntilReady: false) { cbr in
            await cbr.state.slowDown(.milliseconds(300))
        } _: { harness in
            var sawLoading = false
            try await eventually("ready") {
                let response = try await harness.client.execute(uri: "/health/ready", method: .get)
                if response.status == .ok { return true }
                let readiness = try response.decode(Readiness.self)
                sawLoading = sawLoading || readiness.checks["rates"] == "loading the initial exchange rates"
                return false
            }
            #expect(sawLoading)
            // Ready means loaded: 17, 14, 13, 12, 11 and 7 March (the window of 10 days, walked back by set).
            #expect(try await harness.storedCounts() == (6, 6 * 54))

            let card = try await harness.get("/api/exchange-rates", as: RatesCard.self)
            #expect(card.date == "2026-03-17")
            #expect(card.requestedDate == "2026-03-17")
            #expect(card.previousDate == "2026-03-14")
            #expect(card.stale == false)
            #expect(card.staleReason == nil)
            #expect(
                card.rates == [
                    "USD": Decimal(string: "81.0517") ?? 0, "EUR": Decimal(string: "92.6555") ?? 0,
                    "CNY": Decimal(string: "11.7441") ?? 0,
                ]
            )
            let usd = try #require(card.details["USD"])
            #expect(usd.name == "Доллар США")
            #expect(usd.previous == Decimal(string: "80.2254"))
            #expect(usd.change == Decimal(string: "0.8263"))
            #expect(usd.changePercent == Decimal(string: "1.03"))
            #expect(card.details["EUR"]?.change == 0)

            try await eventually("every stored set is published as an event") {
                try await harness.events().filter { $0.type == RatesPublished.eventType }.count == 6
            }
            let published = try await harness.events().filter { $0.type == RatesPublished.eventType }
            let saturday = try #require(published.first { $0.resource.id == "2026-03-14" })
            #expect(saturday.organizationID == nil)
            #expect(saturday.actor == nil)
            #expect(saturday.source.service == "rates")
            #expect(saturday.resource.type == "exchange_rates")
            let payload = try ContractJSON.makeDecoder().decode(
                RatesPublished.self,
                from: try ContractJSON.makeEncoder().encode(saturday.payload)
            )
            #expect(payload.date == "2026-03-14")
            #expect(payload.base == "RUB")
            #expect(payload.rates.count == 54)
            #expect(payload.rates["USD"] == "80.2254")
            #expect(payload.rates["IRR"] == "0.0000588139")
            #expect(payload.rates["VND"] == "0.00323327")
        }
    }

    @Test("when CBR is unreachable at start the service becomes ready anyway and status says why")
    func readyWithoutCBR() async throws {
        try await RatesHarness.with(now: Self.noon17) { cbr in
            await cbr.state.breakDown(.status(503))
        } _: { harness in
            let status = try await harness.get("/api/exchange-rates/status", as: RatesSourceStatus.self)
            #expect(status.storedSets == 0)
            #expect(status.lastError == "CBR answered HTTP 503")
            #expect(status.lastSuccessAt == nil)
            #expect(status.consecutiveFailures >= 1)
            #expect(status.stale)
            #expect(status.staleReason?.contains("HTTP 503") == true)
            var metrics = try await harness.get("/metrics").text
            #expect(metrics.contains("\nrates_stale 1"), "the operator sees it without a token")
            #expect(metrics.contains("\nrates_last_success_timestamp_seconds 0"))

            let latest = try await harness.get("/api/exchange-rates/latest")
            #expect(latest.status == .serviceUnavailable)
            #expect(latest.headers[.contentType] == Problem.mediaType)
            #expect(latest.headers[.retryAfter] != nil)
            #expect(try await harness.get("/api/exchange-rates").status == .serviceUnavailable)

            await harness.cbr.state.recover()
            let load = try await harness.load()
            #expect(load.status == .ok, "\(load.text)")
            let result = try load.decode(LoadRatesResult.self)
            #expect(
                result.newSets == ["2026-03-17", "2026-03-14", "2026-03-13", "2026-03-12", "2026-03-11", "2026-03-07"]
            )
            let rates = try await harness.get("/api/exchange-rates/latest", as: RatesForDate.self)
            #expect(rates.stale == false)
            let recovered = try await harness.get("/api/exchange-rates/status", as: RatesSourceStatus.self)
            #expect(recovered.consecutiveFailures == 0)
            #expect(recovered.lastError == "CBR answered HTTP 503")
            #expect(recovered.stale == false)
            metrics = try await harness.get("/metrics").text
            #expect(metrics.contains("\nrates_stale 0"))
            let success = metrics.split(separator: "\n").first { $0.hasPrefix("rates_last_success_timestamp_seconds ") }
            let seconds = success.flatMap { Double($0.split(separator: " ")[1]) } ?? 0
            #expect(abs(seconds - (recovered.lastSuccessAt?.timeIntervalSince1970 ?? 0)) < 1)
        }
    }

    @Test("a Saturday set answers for Sunday and Monday, and a holiday extends it")
    func weekendsAndHolidays() async throws {
        try await RatesHarness.with(now: Self.noon17) { harness in
            for (requested, effective, usd) in [
                ("2026-03-07", "2026-03-07", "79.15"), ("2026-03-08", "2026-03-07", "79.15"),
                ("2026-03-09", "2026-03-07", "79.15"), ("2026-03-10", "2026-03-07", "79.15"),
                ("2026-03-11", "2026-03-11", "78.7396"), ("2026-03-15", "2026-03-14", "80.2254"),
                ("2026-03-16", "2026-03-14", "80.2254"), ("2026-03-17", "2026-03-17", "81.0517"),
            ] {
                let response = try await harness.get("/api/exchange-rates/\(requested)?symbols=USD")
                #expect(response.status == .ok, "\(response.text)")
                let rates = try response.decode(RatesForDate.self)
                #expect(rates.requestedDate == requested)
                #expect(rates.date == effective, "\(requested)")
                #expect(rates.rates == ["USD": Decimal(string: usd) ?? 0], "\(requested)")
                #expect(rates.stale == false)
                if requested < "2026-03-17" {
                    #expect(response.headers[.cacheControl] == "private, max-age=31536000, immutable", "\(requested)")
                }
            }
            let before = try await harness.get("/api/exchange-rates/2026-03-06")
            #expect(before.status == .notFound)
            #expect(try before.decode(Problem.self).detail?.contains("2026-03-06") == true)

            let history = try await harness.get(
                "/api/exchange-rates/history?from=2026-03-05&to=2026-03-17&symbols=usd",
                as: ListPage<RatesForDate>.self
            )
            #expect(history.total == 11)
            #expect(history.items.map(\.requestedDate).first == "2026-03-07")
            let effective = ["07", "07", "07", "07", "11", "12", "13", "14", "14", "14", "17"].map { "2026-03-\($0)" }
            #expect(history.items.map(\.date) == effective)
            #expect(history.items.allSatisfy { $0.rates.keys.sorted() == ["USD"] && !$0.stale })
        }
    }

    @Test("tomorrow's set is stored under tomorrow and is not today's latest")
    func tomorrowIsNotLatest() async throws {
        try await RatesHarness.with(now: Self.evening17) { cbr in
            await cbr.state.publish(
                try CBRFixtures.dailySet(on: CBRFixtures.day(3, 18), usd: ("82,0000", "82")),
                on: CBRFixtures.day(3, 18)
            )
        } _: { harness in
            let latest = try await harness.get("/api/exchange-rates/latest?symbols=USD", as: RatesForDate.self)
            #expect(latest.date == "2026-03-17")
            #expect(latest.requestedDate == "2026-03-17")
            #expect(latest.rates["USD"] == Decimal(string: "81.0517"))
            #expect(latest.stale == false)
            let tomorrow = try await harness.get("/api/exchange-rates/2026-03-18?symbols=USD", as: RatesForDate.self)
            #expect(tomorrow.date == "2026-03-18")
            #expect(tomorrow.rates["USD"] == 82)
            let status = try await harness.get("/api/exchange-rates/status", as: RatesSourceStatus.self)
            #expect(status.latestDate == "2026-03-17")
            #expect(status.nextDate == "2026-03-18")
            let card = try await harness.get("/api/exchange-rates", as: RatesCard.self)
            #expect(card.date == "2026-03-17")

            harness.clock.set(CBRFixtures.moscow(3, 18, 0, 1))
            let next = try await harness.get("/api/exchange-rates/latest?symbols=USD", as: RatesForDate.self)
            #expect(next.date == "2026-03-18")
            #expect(next.requestedDate == "2026-03-18")
            #expect(next.rates["USD"] == 82)
            #expect(next.stale == false)
        }
    }

    @Test("loading the same set twice changes nothing, and each load is recorded")
    func idempotentLoad() async throws {
        try await RatesHarness.with(now: Self.noon17, ["RATES_BACKFILL_DAYS": "0"]) { harness in
            #expect(try await harness.storedCounts() == (1, 54))
            let first = try await harness.load(#"{"date": "2026-03-13"}"#)
            #expect(first.status == .ok, "\(first.text)")
            #expect(first.headers[.cacheControl] == "no-store")
            #expect(
                try first.decode(LoadRatesResult.self)
                    == LoadRatesResult(requestedDate: "2026-03-13", date: "2026-03-13", newSets: ["2026-03-13"])
            )
            let again = try await harness.load(#"{"date": "2026-03-13"}"#)
            #expect(try again.decode(LoadRatesResult.self).newSets == [])
            #expect(try await harness.storedCounts() == (2, 108))

            let sunday = try await harness.load(#"{"date": "2026-03-15"}"#)
            #expect(
                try sunday.decode(LoadRatesResult.self)
                    == LoadRatesResult(requestedDate: "2026-03-15", date: "2026-03-14", newSets: ["2026-03-14"])
            )

            try await eventually("the loads are recorded") {
                try await harness.events().filter { $0.type == "rates.loaded" }.count == 3
            }
            let events = try await harness.events()
            #expect(
                events.filter { $0.type == RatesPublished.eventType }.compactMap(\.resource.id).sorted()
                    == ["2026-03-13", "2026-03-14", "2026-03-17"]
            )
            let loaded = try #require(events.first { $0.type == "rates.loaded" })
            #expect(loaded.actor?.email == "admin@example.ru")
            #expect(loaded.payload["new_sets"] == ["2026-03-13"])
        }
    }

    @Test("when CBR fails or answers garbage, the last rates are served marked stale and status says why")
    func staleServing() async throws {
        try await RatesHarness.with(now: Self.noon17) { harness in
            let before = try await harness.storedCounts()
            for (behaviour, message) in [
                (CBRMisbehaviour.html, "an HTML page"), (.truncated, "broken XML"), (.wrongRoot, "<Error>"),
                (.empty, "empty body"), (.status(500), "HTTP 500"),
            ] {
                await harness.cbr.state.breakDown(behaviour)
                let load = try await harness.load(#"{"date": "2026-03-05"}"#)
                #expect(load.status == .badGateway, "\(behaviour)")
                #expect(try load.decode(Problem.self).detail?.contains(message) == true, "\(load.text)")
                let status = try await harness.get("/api/exchange-rates/status", as: RatesSourceStatus.self)
                #expect(status.lastError?.contains(message) == true, "\(String(describing: status.lastError))")
                #expect(status.stale)
                #expect(status.staleReason?.contains(message) == true)
            }
            #expect(try await harness.storedCounts() == before)

            let latest = try await harness.get("/api/exchange-rates/latest?symbols=USD")
            #expect(latest.status == .ok)
            let rates = try latest.decode(RatesForDate.self)
            #expect(rates.stale)
            #expect(rates.date == "2026-03-17")
            #expect(rates.rates["USD"] == Decimal(string: "81.0517"))
            #expect(latest.headers[.cacheControl] == "private, max-age=60")
            let staleCard = try await harness.get("/api/exchange-rates", as: RatesCard.self)
            #expect(staleCard.stale)
            #expect(staleCard.staleReason?.contains("HTTP 500") == true, "the card says why, as the status does")
            // A past day whose set CBR confirmed is final, whatever the source does now.
            let past = try await harness.get("/api/exchange-rates/2026-03-14", as: RatesForDate.self)
            #expect(past.stale == false)

            await harness.cbr.state.recover()
            #expect(try await harness.load().status == .ok)
            #expect(try await harness.get("/api/exchange-rates/latest", as: RatesForDate.self).stale == false)
        }
    }

    @Test("latest answers carry an ETag and a max-age that ends when a new set can appear; If-None-Match gives 304")
    func httpCaching() async throws {
        try await RatesHarness.with(now: Self.noon17) { harness in
            let first = try await harness.get("/api/exchange-rates/latest")
            #expect(first.status == .ok)
            let tag = try #require(first.headers[.eTag])
            #expect(tag.hasPrefix("\"") && tag.hasSuffix("\""))
            // 12:00 to 15:30 Moscow time.
            #expect(first.headers[.cacheControl] == "private, max-age=12600")

            let again = try await harness.get("/api/exchange-rates/latest", headers: [.ifNoneMatch: tag])
            #expect(again.status == .notModified)
            #expect(again.body.readableBytes == 0)
            #expect(again.headers[.eTag] == tag)
            #expect(again.headers[.cacheControl] == "private, max-age=12600")
            let weak = try await harness.get("/api/exchange-rates/latest", headers: [.ifNoneMatch: "\"x\", W/\(tag)"])
            #expect(weak.status == .notModified)
            let other = try await harness.get("/api/exchange-rates/latest", headers: [.ifNoneMatch: "\"other\""])
            #expect(other.status == .ok)
            #expect(other.body == first.body)

            let card = try await harness.get("/api/exchange-rates")
            let cardTag = try #require(card.headers[.eTag])
            #expect(
                try await harness.get("/api/exchange-rates", headers: [.ifNoneMatch: cardTag]).status == .notModified
            )

            let past = try await harness.get("/api/exchange-rates/2026-03-12")
            #expect(past.headers[.cacheControl] == "private, max-age=31536000, immutable")
            let pastTag = try #require(past.headers[.eTag])
            let pastAgain = try await harness.get("/api/exchange-rates/2026-03-12", headers: [.ifNoneMatch: pastTag])
            #expect(pastAgain.status == .notModified)

            // After the publication time, the answer lasts until midnight, when tomorrow's set takes effect.
            harness.clock.set(Self.evening17)
            let evening = try await harness.get("/api/exchange-rates/latest")
            #expect(evening.headers[.cacheControl] == "private, max-age=28800")
            #expect(evening.headers[.eTag] == tag)

            await harness.cbr.state.publish(
                try CBRFixtures.dailySet(on: CBRFixtures.day(3, 18), usd: ("82,0000", "82")),
                on: CBRFixtures.day(3, 18)
            )
            #expect(try await harness.load().status == .ok)
            harness.clock.set(CBRFixtures.moscow(3, 18, 9))
            let next = try await harness.get("/api/exchange-rates/latest", headers: [.ifNoneMatch: tag])
            #expect(next.status == .ok)
            #expect(next.headers[.eTag] != tag)
        }
    }

    @Test("cross rates and conversions are exact, with the documented rounding")
    func crossRatesAndConversion() async throws {
        try await RatesHarness.with(now: Self.noon17) { harness in
            let euro = try await harness.get("/api/exchange-rates/latest?base=EUR&symbols=USD,RUB,EUR")
            #expect(euro.status == .ok)
            #expect(
                euro.text.contains(#""rates":{"EUR":"1","RUB":"0.01079266746","USD":"0.8747640453"}"#),
                "\(euro.text)"
            )
            let dollar = try await harness.get("/api/exchange-rates/latest?base=usd", as: RatesForDate.self)
            #expect(dollar.base == "USD")
            #expect(dollar.rates.count == 54)
            #expect(dollar.rates["USD"] == nil)
            #expect(dollar.rates["EUR"] == Decimal(string: "1.143165412"))
            #expect(dollar.rates["RUB"] == Decimal(string: "0.01233780414"))

            let all = try await harness.get("/api/exchange-rates/latest", as: RatesForDate.self)
            #expect(all.base == "RUB")
            #expect(all.rates.count == 54)
            #expect(all.rates["IRR"] == Decimal(string: "0.0000588139"))

            let conversion = try await harness.get("/api/exchange-rates/convert?from=USD&to=EUR&amount=100")
            #expect(conversion.status == .ok)
            let converted = try conversion.decode(Conversion.self)
            #expect(converted.rate == Decimal(string: "0.8747640453"))
            #expect(converted.result == Decimal(string: "87.48"))
            #expect(converted.date == "2026-03-17")
            #expect(converted.requestedDate == "2026-03-17")
            #expect(conversion.text.contains(#""result":"87.48""#))

            let rial = try await harness.get(
                "/api/exchange-rates/convert?from=irr&to=RUB&amount=1000000&date=2026-03-15"
            )
            #expect(rial.text.contains(#""rate":"0.0000588139""#), "\(rial.text)")
            #expect(rial.text.contains(#""result":"58.81""#))
            #expect(try rial.decode(Conversion.self).date == "2026-03-14")
            #expect(try rial.decode(Conversion.self).requestedDate == "2026-03-15")
            #expect(rial.headers[.cacheControl] == "private, max-age=31536000, immutable")

            let cents = try await harness.get(
                "/api/exchange-rates/convert?from=EUR&to=JPY&amount=1500.25",
                as: Conversion.self
            )
            #expect(cents.result == Decimal(string: "273393.57"))
            #expect(cents.amount == Decimal(string: "1500.25"))
        }
    }

    @Test("every bad input is a 422 naming its fields, and access needs a signed-in user (admin to load)")
    func validation() async throws {
        try await RatesHarness.with(now: Self.noon17) { harness in
            let cases: [(String, [String])] = [
                ("/api/exchange-rates/2026-02-30", ["date"]),
                ("/api/exchange-rates/yesterday", ["date"]),
                ("/api/exchange-rates/latest?symbols=USD,XYZ", ["symbols"]),
                ("/api/exchange-rates/latest?symbols=US", ["symbols"]),
                ("/api/exchange-rates/latest?symbols=USD,,EUR", ["symbols"]),
                ("/api/exchange-rates/latest?base=ABC", ["base"]),
                ("/api/exchange-rates/2026-03-14?base=1", ["base"]),
                ("/api/exchange-rates/convert?from=USD&amount=abc", ["amount", "to"]),
                ("/api/exchange-rates/convert?from=USD&to=EUR&amount=1e5", ["amount"]),
                ("/api/exchange-rates/convert?from=USD&to=XYZ&amount=5", ["to"]),
                ("/api/exchange-rates/convert?from=USD&to=EUR&amount=5&date=2026-3-1", ["date"]),
                ("/api/exchange-rates/history?from=2026-03-10&to=2026-03-01", ["from"]),
                ("/api/exchange-rates/history?from=2025-01-01&to=2026-03-17", ["to"]),
                ("/api/exchange-rates/history?to=2026-03-17", ["from"]),
                ("/api/exchange-rates/history?from=2026-03-10&to=2026-03-17&symbols=XYZ", ["symbols"]),
            ]
            for (path, fields) in cases {
                let response = try await harness.get(path)
                #expect(response.headers[.contentType] == Problem.mediaType, "\(path)")
                #expect(try RatesHarness.fields(response).sorted() == fields.sorted(), "\(path)")
            }
            for body in [#"{"date": "2026-13-01"}"#, #"{"date": "2030-01-01"}"#, #"{"date": 5}"#, #"{"when": "x"}"#] {
                #expect(try RatesHarness.fields(try await harness.load(body)).count == 1, "\(body)")
            }
            #expect(try await harness.load("not json").status == .badRequest)
            let getLoad = try await harness.get("/api/exchange-rates/load")
            #expect(getLoad.status == .methodNotAllowed, "\(getLoad.text)")

            let anonymous = try await harness.client.execute(uri: "/api/exchange-rates/latest", method: .get)
            #expect(anonymous.status == .unauthorized)
            #expect(try await harness.load(token: harness.manager).status == .forbidden)
            #expect(try await harness.client.execute(uri: "/health/live", method: .get).status == .ok)
        }
    }

    @Test("currencies lists RUB and every currency CBR quotes, ids kept as text")
    func currencies() async throws {
        try await RatesHarness.with(now: Self.noon17, ["RATES_BACKFILL_DAYS": "0"]) { harness in
            let list = try await harness.get("/api/exchange-rates/currencies", as: ListPage<CurrencyInfo>.self)
            #expect(list.total == 55)
            #expect(list.items.first?.code == "RUB")
            let azn = try #require(list.items.first { $0.code == "AZN" })
            #expect(azn.cbrID == "R01020A")
            #expect(azn.numCode == "944")
            #expect(azn.lastDate == "2026-03-17")
            #expect(list.items.first { $0.code == "IRR" }?.nominal == 1_000_000)
        }
    }

    @Test("a new set is announced on rates.updated after it is committed")
    func updatedNotification() async throws {
        try await RatesHarness.with(now: Self.noon17) { harness in
            let channel = harness.channel
            let message = try await TestInfrastructure.withRedis { redis in
                try await redis.withSubscription(to: [channel], logger: TestInfrastructure.logger("sub")) { events in
                    try await withDeadline(.seconds(60), waitingFor: "the subscription to be in place") {
                        while try await redis.publish("ping", to: channel) == 0 {
                            try await Task.sleep(for: .milliseconds(20))
                        }
                    }
                    let load = try await harness.load(#"{"date": "2026-03-06"}"#)
                    #expect(try load.decode(LoadRatesResult.self).newSets == ["2026-03-06"])
                    return try await withDeadline(.seconds(60), waitingFor: "the rates.updated message") {
                        for await event in events {
                            if case .message(_, let payload) = event, String(buffer: payload) != "ping" {
                                return String(buffer: payload)
                            }
                        }
                        return ""
                    }
                }
            }
            #expect(
                try ContractJSON.makeDecoder().decode(RatesUpdated.self, from: Data(message.utf8))
                    == RatesUpdated(date: "2026-03-06")
            )
        }
    }
}

@Suite("Rates answers in the two-tier cache")
struct RatesCacheTests {
    @Test("a repeated read is served from the cache, and a newly stored set drops it")
    func cachedAndDropped() async throws {
        try await RatesHarness.with(now: RatesAPITests.evening17) { harness in
            let before = try await harness.get("/api/exchange-rates/2026-03-18?symbols=USD", as: RatesForDate.self)
            #expect(before.date == "2026-03-17")
            // The scheduler may still be loading (each load drops the cache): read until a read hits.
            try await eventually("a repeated read is an L1 hit") {
                _ = try await harness.get("/api/exchange-rates/2026-03-18?symbols=USD", as: RatesForDate.self)
                let metrics = try await harness.get("/metrics").text
                return metrics.contains(#"rates.answers.3",tier="l1",result="hit"}"#)
            }

            await harness.cbr.state.publish(
                try CBRFixtures.dailySet(on: CBRFixtures.day(3, 18), usd: ("82,0000", "82")),
                on: CBRFixtures.day(3, 18)
            )
            let load = try await harness.load(#"{"date":"2026-03-18"}"#, token: harness.admin)
            #expect(load.status == .ok)
            let after = try await harness.get("/api/exchange-rates/2026-03-18?symbols=USD", as: RatesForDate.self)
            #expect(after.date == "2026-03-18", "the stored set dropped the cached answer")
            #expect(after.rates["USD"] == 82)
        }
    }
}
