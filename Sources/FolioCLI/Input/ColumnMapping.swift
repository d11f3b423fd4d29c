import ArgumentParser
import FolioWire

/// `--column FIELD=HEADER`: which CSV column (by its header) holds one of the fields
/// an import knows. The fields are the server's to check.
struct ColumnMapping {
    let field: String
    let header: String

    /// Parses `FIELD=HEADER`; the header is everything after the first '='.
    static func parse(_ text: String) throws -> ColumnMapping {
        guard let equals = text.firstIndex(of: "=") else {
            throw ValidationError("expected FIELD=HEADER, got '\(text)'")
        }
        let field = String(text[..<equals])
        let header = String(text[text.index(after: equals)...])
        guard !field.isEmpty, !header.isEmpty else {
            throw ValidationError("expected FIELD=HEADER with both parts given, got '\(text)'")
        }
        return ColumnMapping(field: field, header: header)
    }

    /// The `columns` param: `{field: header, ...}`, nil when no mapping was given.
    static func json(_ mappings: [ColumnMapping]) -> JSON? {
        guard !mappings.isEmpty else { return Optional.none }
        var columns = JSONObject()
        for mapping in mappings { columns[mapping.field] = .string(mapping.header) }
        return .object(columns)
    }
}
