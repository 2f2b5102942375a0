import Foundation
import HTTPTypes
import Prometheus
import Synchronization

/// The service's Prometheus registry, exposed at `GET /metrics`, plus process gauges refreshed on each scrape.
package final class ServiceMetrics: Sendable {
    package let registry: PrometheusCollectorRegistry
    private let residentMemory: Gauge
    private let virtualMemory: Gauge
    private let openFiles: Gauge

    package init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
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

    /// The Prometheus text exposition of every metric, with process gauges read now.
    package func exposition() -> [UInt8] {
        let memory = ProcessMemory.current()
        residentMemory.set(to: Double(memory.resident))
        virtualMemory.set(to: Double(memory.virtual))
        openFiles.set(to: Double(ProcessMemory.openFileCount()))
        return registry.emitToBuffer()
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
            helpText: "Time to produce the response head, by method, route and status."
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
