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

    /// PostgreSQL crashes (`-m immediate`) under 16 clients issuing: every acknowledged
    /// number exists once, the series has no gap, and the same foliod serves on. Clients
    /// retry a failed call with its idempotency key, as the contract tells them to.
    @Test func immediateStopUnderSixteenIssuersLosesNothing() throws {
        let cluster = try PrivateCluster()
        let server = try ServerProcess(database: cluster.database)
        defer { server.stop() }
        let pid = server.pid
        let tenant = try server.makeTenant("crash")
        let customer = try Invoicing(client: try server.connect(), tenant: tenant).customer()
        let stop = Shared(false)
        let acknowledged = Shared<[String]>([])
        let issuing = Thread {
            concurrently(16) { worker in
                guard let client = try? server.connect() else { return }
                var n = 0
                while !stop.value {
                    n += 1
                    let params: JSONObject = [
                        "tenant": .string(tenant), "customer_id": JSON(customer), "issue": true,
                        "idempotency_key": .string("crash-\(worker)-\(n)"),
                        "lines": [["description": "Crash test", "qty": "1", "unit_price": "1.00"]],
                    ]
                    for _ in 0..<600 {  // until the database is back (60 s at most)
                        if let number = try? client.call("invoice.create", params)["number"]?.stringValue {
                            acknowledged.update { $0.append(number) }
                            break
                        }
                        usleep(100_000)
                    }
                }
            }
        }
        issuing.start()
        usleep(1_500_000)
        try cluster.stopImmediately()
        let before = acknowledged.value.count
        usleep(500_000)
        try cluster.start()
        let deadline = Date().addingTimeInterval(30)
        while acknowledged.value.count < before + 50, Date() < deadline { usleep(100_000) }
        stop.update { $0 = true }
        while issuing.isExecuting { usleep(50_000) }

        let numbers = acknowledged.value
        #expect(before > 0, "nothing was acknowledged before the crash")
        #expect(numbers.count >= before + 50, "issuing did not resume after the restart")
        #expect(Set(numbers).count == numbers.count, "a number was acknowledged twice")
        let stored = try Database.column(try PostgresConnection(conninfo: cluster.superuserDatabase),
                                         "SELECT number FROM t_\(tenant).invoices WHERE number IS NOT NULL ORDER BY number")
            .compactMap { $0 }
        #expect(Set(numbers).isSubset(of: Set(stored)), "an acknowledged number is missing")
        let sequence = stored.compactMap { Int($0.drop(while: { !$0.isNumber })) }.sorted()
        #expect(sequence == Array(1...stored.count), "the series has a gap or a duplicate")
        #expect(server.pid == pid && kill(pid, 0) == 0, "foliod was restarted")
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
        #expect(second.stdout.contains("1 tenant(s), 0 migrated"))
        #expect(try Database.column(db, "SELECT count(*) FROM folio.schema_migrations") == before)
        #expect(try Database.column(db, "SELECT string_agg(version::text, ',' ORDER BY version) FROM t_\(tenant).schema_migrations") == tenantBefore)
        let files = try FileManager.default.contentsOfDirectory(atPath: TestEnvironment.schemaDirectory + "/tenant").filter { $0.hasSuffix(".sql") }
        #expect(tenantBefore.first??.split(separator: ",").count == files.count)
    }

    /// A change to the code alone is one statement set, whatever the tenant count: every
    /// tenant runs the new code at once, and no tenant schema is touched.
    @Test func codeOnlyChangeReachesEveryTenantWithoutTouchingItsSchema() throws {
        let cluster = try PrivateCluster()
        let server = try ServerProcess(database: cluster.database)
        defer { server.stop() }
        let tenants = try (0..<3).map { _ in try server.makeTenant("code") }
        let db = try PostgresConnection(conninfo: cluster.superuserDatabase)
        let shape = """
            SELECT string_agg(n.nspname || '.' || c.relname || ':' || c.relkind::text || ':' || c.xmin::text, ',' ORDER BY c.oid)
              FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname LIKE 't\\_code%'
            """
        let before = try Database.column(db, shape)

        // A copy of Schema/ whose code file changes a function and adds one.
        let changed = TestEnvironment.scratchDirectory() + "/schema-code-change"
        try? FileManager.default.removeItem(atPath: changed)
        try FileManager.default.copyItem(atPath: TestEnvironment.schemaDirectory, toPath: changed)
        let helpers = changed + "/code/01_helpers.sql"
        let text = try String(contentsOfFile: helpers, encoding: .utf8) + """

            CREATE OR REPLACE FUNCTION code_probe() RETURNS text
            LANGUAGE sql STABLE AS $$ SELECT (SELECT tenant FROM settings) || ' runs the new code' $$;

            """
        try text.write(toFile: helpers, atomically: true, encoding: .utf8)
        let migrate = try ProcessRunner.run(TestEnvironment.foliod, ["migrate", "--database", cluster.database, "--schema-dir", changed])
        #expect(migrate.status == 0)
        #expect(migrate.stdout.contains("code: applied"))
        #expect(migrate.stdout.contains("3 tenant(s), 0 migrated"))
        for tenant in tenants {
            let probe = try PostgresConnection(conninfo: cluster.database)
            try probe.execute("BEGIN")
            try probe.query(PostgresStatement("SELECT folio.enter(0, $1, 'viewer', true, 'test')", [tenant]))
            #expect(try Database.column(probe, "SELECT code_probe()") == ["\(tenant) runs the new code"])
            try probe.execute("ROLLBACK")
        }
        #expect(try Database.column(db, shape) == before)

        // Back to the checkout's code: the function no file defines any more is dropped.
        let back = try ProcessRunner.run(TestEnvironment.foliod, ["migrate", "--database", cluster.database,
                                                                  "--schema-dir", TestEnvironment.schemaDirectory])
        #expect(back.status == 0)
        #expect(back.stdout.contains("code: dropped folio_code.code_probe()"))
        #expect(try Database.column(db, "SELECT count(*) FROM pg_proc WHERE proname = 'code_probe'") == ["0"])
        #expect(try Database.column(db, shape) == before)
    }

    /// A tenant migration that arrives later with a lower number than the newest one
    /// (branches merged out of order) still reaches every tenant and spare schema.
    @Test func aLateLowNumberedTenantMigrationReachesEveryTenant() throws {
        let cluster = try PrivateCluster()
        let server = try ServerProcess(database: cluster.database, arguments: ["--spare-tenants", "1"])
        defer { server.stop() }
        let tenants = try (0..<2).map { _ in try server.makeTenant("late") }
        let changed = TestEnvironment.scratchDirectory() + "/schema-late-migration"
        try? FileManager.default.removeItem(atPath: changed)
        try FileManager.default.copyItem(atPath: TestEnvironment.schemaDirectory, toPath: changed)
        try "CREATE TABLE late_arrival (id bigint PRIMARY KEY);\n"
            .write(toFile: changed + "/tenant/0000_late_arrival.sql", atomically: true, encoding: .utf8)
        let migrate = try ProcessRunner.run(TestEnvironment.foliod, ["migrate", "--database", cluster.database, "--schema-dir", changed])
        #expect(migrate.status == 0, "\(migrate.stderr)")
        let db = try PostgresConnection(conninfo: cluster.superuserDatabase)
        for tenant in tenants {
            #expect(try Database.column(db, "SELECT to_regclass($1) IS NOT NULL", ["t_\(tenant).late_arrival"]) == ["t"])
        }
        #expect(try Database.column(db, """
            SELECT bool_and(to_regclass(schema_name || '.late_arrival') IS NOT NULL) FROM folio.spare_schemas
            """) != ["f"])
    }
}
