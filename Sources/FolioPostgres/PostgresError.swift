import CLibPQ

/// A failure reported by libpq or by the server, with the SQLSTATE when there is one.
public struct PostgresError: Error, Sendable, CustomStringConvertible {
    /// Whether the failure concerns the statement or the connection itself.
    public enum Kind: Sendable {
        /// The server rejected a statement; the connection is still usable.
        case statement
        /// The connection could not be made or was lost; it must be discarded.
        case connection
    }

    public var kind: Kind
    public var sqlState: String?
    public var message: String
    public var detail: String?
    public var hint: String?
    public var constraint: String?

    public init(kind: Kind, sqlState: String? = nil, message: String, detail: String? = nil, hint: String? = nil, constraint: String? = nil) {
        self.kind = kind
        self.sqlState = sqlState
        self.message = message
        self.detail = detail
        self.hint = hint
        self.constraint = constraint
    }

    /// Reads the error fields of a failed result.
    init(result: OpaquePointer, connectionBad: Bool) {
        // libpq's PG_DIAG_* field codes are character macros that Swift does not import.
        func field(_ code: Character) -> String? {
            guard let p = PQresultErrorField(result, Int32(code.asciiValue!)) else { return nil }
            return String(cString: p)
        }
        let sqlState = field("C")
        let message = field("M") ?? String(cString: PQresultErrorMessage(result))
        // Class 08 (connection exception) and 57P0x (shutdown) mean the session is gone.
        let lost = connectionBad || sqlState.map { $0.hasPrefix("08") || $0.hasPrefix("57P0") } ?? false
        self.init(kind: lost ? .connection : .statement, sqlState: sqlState,
                  message: message.trimmingTrailingNewlines(),
                  detail: field("D"), hint: field("H"),
                  constraint: field("n"))
    }

    static func connection(_ connection: OpaquePointer?, _ fallback: String) -> PostgresError {
        let text = connection.flatMap { PQerrorMessage($0) }.map { String(cString: $0) } ?? ""
        return PostgresError(kind: .connection, message: text.isEmpty ? fallback : text.trimmingTrailingNewlines())
    }

    public var description: String {
        var text = message
        if let sqlState { text = "[\(sqlState)] " + text }
        if let detail, !detail.isEmpty { text += " (\(detail))" }
        return text
    }
}

extension String {
    func trimmingTrailingNewlines() -> String {
        var s = Substring(self)
        while s.last?.isNewline == true { s.removeLast() }
        return String(s)
    }
}
