import FolioPostgres

/// Direct database access for tests: as superuser (to inspect the catalog or tamper with
/// data behind the server's back) or as the server's login role.
enum Database {
    static func superuser() throws -> PostgresConnection {
        try PostgresConnection(conninfo: TestEnvironment.superuserDatabase)
    }

    static func loginRole() throws -> PostgresConnection {
        try PostgresConnection(conninfo: TestEnvironment.database)
    }

    /// The first column of every row of a query.
    static func column(_ db: PostgresConnection, _ sql: String, _ parameters: [String?] = []) throws -> [String?] {
        try db.query(PostgresStatement(sql, parameters)).rows.map { $0.first ?? nil }
    }
}
