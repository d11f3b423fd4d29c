import FolioClient
import FolioPostgres
import FolioWire
import Foundation
import Testing

/// The server outlives its database: restarts and outages answer -32011 (retryable)
/// and recover without restarting foliod. Each test has a cluster of its own.
@Suite(.timeLimit(.minutes(5))) struct DatabaseLifecycleTests {
    @Test func postgresRestartUnderRunningServer() throws {
        let cluster = try PrivateCluster()
        let server = try ServerProcess(database: cluster.database, arguments: ["--pool-size", "4"])
        defer { server.stop() }
        let tenant = try server.makeTenant("pgr")
        let client = try server.connect()
        _ = try client.call("customer.create", ["tenant": .string(tenant), "name": "Before"])

        try cluster.stop()
        do {
            _ = try client.call("customer.list", ["tenant": .string(tenant)])
            Issue.record("a request succeeded while the database was down")
        } catch let error as RPCError {
            #expect(error.code == ErrorCode.databaseUnavailable)
            #expect(error.retryable)
        }
        // Methods that need no database keep working.
        #expect(try client.call("system.ping")["pong"] == .bool(true))

        try cluster.start()
        var recovered = false
        for _ in 0..<50 where !recovered {
            do {
                let list = try client.call("customer.list", ["tenant": .string(tenant)])
                recovered = list["items"]?.arrayValue?.count == 1
            } catch let error as RPCError {
                #expect(error.code == ErrorCode.databaseUnavailable)
                usleep(100_000)
            }
        }
        #expect(recovered)

        // A restart (not an outage) costs at most one failed request per stale connection.
        try cluster.restart()
        var failures = 0
        for _ in 0..<20 {
            do { _ = try client.call("customer.list", ["tenant": .string(tenant)]) } catch { failures += 1 }
        }
        #expect(failures <= 1)
        _ = try client.call("customer.create", ["tenant": .string(tenant), "name": "After"])
    }

    @Test func migrationsRunTwiceChangeNothing() throws {
        let cluster = try PrivateCluster()
        let server = try ServerProcess(database: cluster.database)
        defer { server.stop() }
        let tenant = try server.makeTenant("mig")
        let db = try PostgresConnection(conninfo: cluster.superuserDatabase)
        let before = try Database.column(db, "SELECT count(*) FROM folio.schema_migrations")
        let tenantBefore = try Database.column(db, "SELECT string_agg(version::text, ',' ORDER BY version) FROM t_\(tenant).schema_migrations")
        let second = try ProcessRunner.run(TestEnvironment.foliod, ["migrate", "--database", cluster.database,
                                                                    "--schema-dir", TestEnvironment.schemaDirectory])
        #expect(second.status == 0)
        #expect(!second.stdout.contains("applied"))
        #expect(second.stdout.contains("tenant \(tenant) (1/1)"))
        #expect(try Database.column(db, "SELECT count(*) FROM folio.schema_migrations") == before)
        #expect(try Database.column(db, "SELECT string_agg(version::text, ',' ORDER BY version) FROM t_\(tenant).schema_migrations") == tenantBefore)
        let files = try FileManager.default.contentsOfDirectory(atPath: TestEnvironment.schemaDirectory + "/tenant").filter { $0.hasSuffix(".sql") }
        #expect(tenantBefore.first??.split(separator: ",").count == files.count)
    }
}
