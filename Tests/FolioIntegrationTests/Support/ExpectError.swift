import FolioWire
import Testing

/// Expects `body` to fail with the JSON-RPC error `code` (and, when given, naming `field`).
func expectError(_ code: Int, field: String? = nil, sourceLocation: SourceLocation = #_sourceLocation,
                 _ body: () throws -> Any) {
    do {
        _ = try body()
        Issue.record("expected error \(code)\(field.map { " on \($0)" } ?? "")", sourceLocation: sourceLocation)
    } catch let error as RPCError {
        #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
        if let field { #expect(error.field == field, "\(error)", sourceLocation: sourceLocation) }
    } catch {
        Issue.record("unexpected \(error)", sourceLocation: sourceLocation)
    }
}
