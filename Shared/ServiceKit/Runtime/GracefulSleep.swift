import ServiceLifecycle

/// Sleeps for `duration`, waking early when the task is cancelled or the service group shuts down, so
/// back-offs and timers never hold up a shutdown.
package func sleepUnlessShuttingDown(for duration: Duration) async {
    try? await cancelWhenGracefulShutdown {
        try await Task.sleep(for: duration)
    }
}
