import Foundation
import Testing

/// The README's configuration reference is the operators' only manual: every variable the code reads must
/// be in it.
@Suite("Configuration reference")
struct ConfigurationReferenceTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// Every variable name passed to a `Settings` lookup in the services' and the kit's sources.
    static func variablesReadByCode() throws -> Set<String> {
        let pattern = /\.(?:string|optionalString|int|duration|bool|list|choice)\(\s*"([A-Z][A-Z0-9_]+)"/
        var names: Set<String> = []
        for folder in ["Shared", "Services"] {
            let enumerator = FileManager.default.enumerator(
                at: root.appendingPathComponent(folder),
                includingPropertiesForKeys: nil
            )
            while let url = enumerator?.nextObject() as? URL {
                guard url.pathExtension == "swift" else { continue }
                let source = try String(contentsOf: url, encoding: .utf8)
                for match in source.matches(of: pattern) { names.insert(String(match.output.1)) }
            }
        }
        return names
    }

    @Test("every variable the code reads is documented in the README")
    func documented() throws {
        let readme = try String(contentsOf: Self.root.appendingPathComponent("README.md"), encoding: .utf8)
        let variables = try Self.variablesReadByCode()
        #expect(variables.count > 20)
        let missing = variables.filter { !readme.contains("`\($0)`") }.sorted()
        #expect(missing.isEmpty, "not in the README's configuration reference: \(missing)")
    }
}
