import Logging

/// Process-wide logging set-up, called once by each executable before anything logs.
package enum ServiceLogging {
    /// Routes every `Logger` of the process to stdout in the configured format.
    package static func bootstrap(_ configuration: ServiceConfiguration) {
        let settings = configuration.logging
        LoggingSystem.bootstrap { label in
            switch settings.format {
            case .json:
                JSONLogHandler(
                    label: label,
                    service: configuration.serviceName,
                    instance: configuration.instanceID,
                    level: settings.level
                )
            case .text:
                {
                    var handler = StreamLogHandler.standardOutput(label: label)
                    handler.logLevel = settings.level
                    return handler
                }()
            }
        }
    }

    /// The service's root logger, carrying the service and instance names.
    package static func logger(_ configuration: ServiceConfiguration) -> Logger {
        var logger = Logger(label: configuration.serviceName)
        logger.logLevel = configuration.logging.level
        return logger
    }
}
