import FolioPostgres
import Foundation

/// A PostgreSQL cluster of a test's own, for tests that stop or restart the database
/// and must not disturb the cluster the other tests share.
final class PrivateCluster {
    let directory: String
    var dataDirectory: String { directory + "/data" }
    var socketDirectory: String { directory }
    var database: String { "host=\(socketDirectory) port=5432 dbname=folio user=folio" }
    var superuserDatabase: String { "host=\(socketDirectory) port=5432 dbname=folio user=\(TestEnvironment.pgOSUser)" }

    init() throws {
        directory = TestEnvironment.scratchDirectory()
        if TestEnvironment.isRoot {
            try ProcessRunner.run("/bin/chown", [TestEnvironment.pgOSUser, directory])
        }
        try pg("initdb", ["-D", dataDirectory, "-A", "trust", "-U", TestEnvironment.pgOSUser, "--no-sync"])
        let settings = """
            listen_addresses = ''
            unix_socket_directories = '\(socketDirectory)'
            port = 5432
            fsync = off
            """
        try pgShell("cat >> \(dataDirectory)/postgresql.conf <<'EOF'\n\(settings)\nEOF")
        try start()
        let db = try PostgresConnection(conninfo: "host=\(socketDirectory) port=5432 dbname=postgres user=\(TestEnvironment.pgOSUser)")
        try db.execute("CREATE ROLE folio LOGIN CREATEROLE NOINHERIT")
        try db.execute("CREATE DATABASE folio OWNER folio")
        let migrate = try ProcessRunner.run(TestEnvironment.foliod, ["migrate", "--database", database,
                                                                     "--schema-dir", TestEnvironment.schemaDirectory])
        guard migrate.status == 0 else { throw TestFailure("migrate failed: \(migrate.stderr)") }
    }

    deinit {
        _ = try? pg("pg_ctl", ["-D", dataDirectory, "stop", "-m", "immediate"])
        try? FileManager.default.removeItem(atPath: directory)
    }

    func start() throws { try pg("pg_ctl", ["-D", dataDirectory, "-l", directory + "/pg.log", "-w", "start"]) }
    func stop() throws { try pg("pg_ctl", ["-D", dataDirectory, "-w", "stop", "-m", "fast"]) }
    /// Stops as a crash would: no shutdown checkpoint, clients cut off mid-transaction.
    func stopImmediately() throws { try pg("pg_ctl", ["-D", dataDirectory, "-w", "stop", "-m", "immediate"]) }
    func restart() throws { try pg("pg_ctl", ["-D", dataDirectory, "-l", directory + "/pg.log", "-w", "restart", "-m", "fast"]) }

    /// Runs a PostgreSQL program as the cluster's OS user.
    @discardableResult
    private func pg(_ program: String, _ arguments: [String]) throws -> CommandResult {
        let path = TestEnvironment.pgBin + "/" + program
        let result = TestEnvironment.isRoot
            ? try ProcessRunner.run("/usr/sbin/runuser", ["-u", TestEnvironment.pgOSUser, "--", path] + arguments)
            : try ProcessRunner.run(path, arguments)
        guard result.status == 0 else { throw TestFailure("\(program) failed: \(result.stderr)") }
        return result
    }

    private func pgShell(_ script: String) throws {
        let result = TestEnvironment.isRoot
            ? try ProcessRunner.run("/usr/sbin/runuser", ["-u", TestEnvironment.pgOSUser, "--", "/bin/sh", "-c", script])
            : try ProcessRunner.run("/bin/sh", ["-c", script])
        guard result.status == 0 else { throw TestFailure("shell failed: \(result.stderr)") }
    }
}
