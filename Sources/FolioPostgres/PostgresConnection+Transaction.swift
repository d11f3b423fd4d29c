extension PostgresConnection {
    /// Runs `body` between BEGIN and COMMIT, rolling back when it throws.
    public func withTransaction<T>(_ body: () throws -> T) throws -> T {
        try execute("BEGIN")
        do {
            let value = try body()
            try execute("COMMIT")
            return value
        } catch {
            _ = try? execute("ROLLBACK")
            throw error
        }
    }
}
