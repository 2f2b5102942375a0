/// The JSON Schemas of this folder, compiled in: the OpenAPI documents take them as component schemas under
/// these names, so the envelope and the quoting core's payloads are described once, here.
public enum ContractSchemas {
    /// Component name and the schema file's bytes.
    public static let all: [(name: String, bytes: [UInt8])] = [
        ("EventEnvelope", PackageResources.event_envelope_schema_json),
        ("QuoteEventPayload", PackageResources.quote_event_schema_json),
        ("CustomerEventPayload", PackageResources.customer_event_schema_json),
    ]
}
