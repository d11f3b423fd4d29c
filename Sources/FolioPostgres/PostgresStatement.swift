/// One parameterized statement. Parameters travel separately from the SQL text
/// (text format, `nil` for SQL NULL), so values are never spliced into SQL.
public struct PostgresStatement: Sendable {
    public var sql: String
    public var parameters: [String?]
    /// When set, the statement is prepared once per connection under this name and reused.
    public var preparedName: String?

    public init(_ sql: String, _ parameters: [String?] = [], prepareAs name: String? = nil) {
        self.sql = sql
        self.parameters = parameters
        self.preparedName = name
    }
}
