import CLibPQ

/// The rows of one statement, copied out of libpq in text format.
public struct PostgresResult: Sendable {
    public let columns: [String]
    public let rows: [[String?]]
    /// Rows affected, from the command tag (INSERT/UPDATE/DELETE), else 0.
    public let affectedRows: Int

    init(_ result: OpaquePointer) {
        let columnCount = Int(PQnfields(result))
        let rowCount = Int(PQntuples(result))
        columns = (0..<columnCount).map { String(cString: PQfname(result, Int32($0))) }
        var rows: [[String?]] = []
        rows.reserveCapacity(rowCount)
        for r in 0..<rowCount {
            rows.append((0..<columnCount).map { c in
                PQgetisnull(result, Int32(r), Int32(c)) == 1
                    ? nil
                    : String(cString: PQgetvalue(result, Int32(r), Int32(c)))
            })
        }
        self.rows = rows
        affectedRows = Int(String(cString: PQcmdTuples(result))) ?? 0
    }

    /// The first column of the first row, the usual shape of a function call's result.
    public var scalar: String? { rows.first?.first ?? nil }
}
