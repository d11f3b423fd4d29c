import FolioDomain
import Foundation
import Testing

/// The README's protocol reference documents every method the server answers.
@Suite struct ReadmeTests {
    @Test func everyMethodIsDocumented() throws {
        let readme = try String(contentsOfFile: URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().appendingPathComponent("../../README.md").standardized.path, encoding: .utf8)
        let missing = MethodCatalog.all.map(\.name).filter { !readme.contains("`\($0)`") }
        #expect(missing.isEmpty, "undocumented: \(missing)")
    }
}
