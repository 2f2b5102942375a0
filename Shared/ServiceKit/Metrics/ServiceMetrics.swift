import Foundation
import HTTPTypes
import Prometheus
import Synchronization

/// The service's Prometheus registry, exposed at `GET /metrics`, plus what is read at each scrape: the process
/// gauges, and the figures of the collectors the service's parts register (``collect(_:every:_:)``: outbox
/// backlog, consumer lag, readiness…), which cost a query each and so are read only when Prometheus asks.
package final class ServiceMetrics: Sendable {
    package let registry: PrometheusCollectorRegistry
    private let residentMemory: Gauge
    private let virtualMemory: Gauge
    private let openFiles: Gauge
    private let cpu: Counter
    private let cpuSeconds = Mutex<Double>(0)
    private let collectors = Mutex<[String: @Sendable () async throws -> Void]>([:])
    /// How long a collector may take before its figures are left as they were.
    private static let collectorTimeout: Duration = .seconds(2)

    package init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry(), build: BuildInfo = .unknown) {
        self.registry = registry
        registry.makeGauge(
            descriptor: .init(
                metricName: "build_info",
                helpText: "The version and revision the service was built from; always 1."
            ),
            labels: [("version", build.version), ("revision", build.revision)]
        ).set(to: 1)
        cpu = registry.makeCounter(
            descriptor: .init(
                metricName: "process_cpu",
                unitName: "seconds_total",
                helpText: "User and system CPU time spent, in seconds."
            ),
            labels: []
        )
        residentMemory = registry.makeGauge(
            descriptor: .init(
                metricName: "process_resident_memory",
                unitName: "bytes",
                helpText: "Resident memory size in bytes."
            ),
            labels: []
        )
        virtualMemory = registry.makeGauge(
            descriptor: .init(
                metricName: "process_virtual_memory",
                unitName: "bytes",
                helpText: "Virtual memory size in bytes."
            ),
            labels: []
        )
        openFiles = registry.makeGauge(
            descriptor: .init(
                metricName: "process_open",
                unitName: "fds",
                helpText: "Number of open file descriptors."
            ),
            labels: []
        )
        let start = registry.makeGauge(
            descriptor: .init(
                metricName: "process_start_time",
                unitName: "seconds",
                helpText: "Start time of the process since the Unix epoch."
            ),
            labels: []
        )
        start.set(to: Date().timeIntervalSince1970)
    }

    /// Registers `collector` under `name` (a second one under the same name is ignored: replicas of one part,
    /// several consumers of one group, report the same figures): it sets its gauges when Prometheus scrapes.
    /// One that fails or takes longer than 2 s leaves its figures as they were, and the scrape goes on.
    package func collect(_ name: String, _ collector: @escaping @Sendable () async throws -> Void) {
        collectors.withLock { collectors in
            if collectors[name] == nil { collectors[name] = collector }
        }
    }

    /// The Prometheus text exposition of every metric, with process figures and collectors read now.
    package func exposition() async -> [UInt8] {
        let memory = ProcessMemory.current()
        residentMemory.set(to: Double(memory.resident))
        virtualMemory.set(to: Double(memory.virtual))
        openFiles.set(to: Double(ProcessMemory.openFileCount()))
        let seconds = ProcessMemory.cpuSeconds()
        let spent = cpuSeconds.withLock { last in
            defer { last = max(last, seconds) }
            return max(0, seconds - last)
        }
        if spent > 0 { cpu.increment(by: spent) }
        let collectors = self.collectors.withLock { Array($0.values) }
        await withTaskGroup(of: Void.self) { group in
            for collector in collectors {
                group.addTask {
                    try? await withDeadline(Self.collectorTimeout, waitingFor: "a metrics collector") {
                        try await collector()
                    }
                }
            }
        }
        return registry.emitToBuffer()
    }

    /// A gauge without labels (or with `labels`), made on first use.
    package func gauge(_ name: String, help: String, labels: [(String, String)] = []) -> Gauge {
        registry.makeGauge(descriptor: .init(metricName: name, helpText: help), labels: labels)
    }
}

/// What the binary was built from, for the `build_info` gauge: `BUILD_VERSION` and `BUILD_REVISION`, which the
/// image build and `compose/local` set (`unknown` when unset).
package struct BuildInfo: Sendable, Equatable {
    package var version: String
    package var revision: String

    package static let unknown = BuildInfo(version: "unknown", revision: "unknown")

    package init(version: String, revision: String) {
        self.version = version
        self.revision = revision
    }

    package init(settings: Settings) {
        self.init(
            version: settings.string("BUILD_VERSION", default: "unknown"),
            revision: settings.string("BUILD_REVISION", default: "unknown")
        )
    }
}

/// Reads this process's memory use from `/proc/self/statm` (Linux; zero elsewhere).
package enum ProcessMemory {
    /// Resident and virtual size in bytes.
    package static func current() -> (resident: Int, virtual: Int) {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return (0, 0) }
        let pages = text.split(separator: " ").compactMap { Int($0) }
        guard pages.count >= 2 else { return (0, 0) }
        let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))
        return (pages[1] * pageSize, pages[0] * pageSize)
    }

    /// User and system CPU time of this process in seconds, from `/proc/self/stat` (zero elsewhere).
    static func cpuSeconds() -> Double {
        guard let text = try? String(contentsOfFile: "/proc/self/stat", encoding: .utf8),
            let end = text.lastIndex(of: ")")
        else { return 0 }
        // After the command name in parentheses: state is field 3, utime field 14, stime field 15.
        let fields = text[text.index(after: end)...].split(separator: " ")
        guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { return 0 }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    static func openFileCount() -> Int {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count) ?? 0
    }
}

/// Per-route request counts and latency histograms: `http_requests_total` and `http_request_duration_seconds`,
/// labelled by method, route pattern (not the raw path, to bound cardinality) and status.
package struct HTTPMetrics: Sendable {
    private let registry: PrometheusCollectorRegistry
    /// The counter and histogram of each label set, made on first use: making them takes the registry's lock
    /// and builds label strings, and this runs on every request.
    private let handles = Handles()

    private final class Handles: Sendable {
        let known = Mutex<[Key: (requests: Counter, duration: DurationHistogram)]>([:])
    }

    private struct Key: Hashable {
        var method: HTTPRequest.Method
        var route: String
        var status: Int
    }

    private static var requests: MetricNameDescriptor {
        MetricNameDescriptor(
            metricName: "http_requests",
            unitName: "total",
            helpText: "HTTP requests answered, by method, route and status."
        )
    }
    private static var duration: MetricNameDescriptor {
        MetricNameDescriptor(
            metricName: "http_request_duration",
            unitName: "seconds",
            helpText: "Time to answer, to the last byte of a streamed body, by method, route and status."
        )
    }
    private static let buckets: [Duration] = [
        .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10),
        .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500),
        .seconds(1), .seconds(2.5), .seconds(5), .seconds(10), .seconds(30),
    ]

    package init(metrics: ServiceMetrics) {
        self.registry = metrics.registry
    }

    func record(method: HTTPRequest.Method, route: String, status: Int, duration: Duration) {
        let key = Key(method: method, route: route, status: status)
        let handle =
            handles.known.withLock { $0[key] }
            ?? {
                let labels = [("method", method.rawValue), ("route", route), ("status", String(status))]
                let made = (
                    requests: registry.makeCounter(descriptor: Self.requests, labels: labels),
                    duration: registry.makeDurationHistogram(
                        descriptor: Self.duration,
                        labels: labels,
                        buckets: Self.buckets
                    )
                )
                handles.known.withLock { $0[key] = made }
                return made
            }()
        handle.requests.increment()
        handle.duration.record(duration)
    }
}
