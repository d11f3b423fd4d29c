import FolioPostgres
import FolioWire
import Foundation
import Testing

/// Isolation is enforced by PostgreSQL itself, not only by the server's checks, and each
/// tenant schema keeps to the rules that let it be distributed as a unit (Citus schema-based sharding).
@Suite(.timeLimit(.minutes(5))) struct TenantIsolationTests {
    let server = ServerProcess.shared

    private func role(of tenant: String, _ db: PostgresConnection) throws -> String {
        try Database.column(db, "SELECT role_name FROM folio.tenants WHERE slug = $1", [tenant])[0]!
    }

    @Test func tenantRoleCannotReadAnotherTenant() throws {
        let a = try server.makeTenant("iso")
        let b = try server.makeTenant("iso")
        _ = try server.connect().call("customer.create", ["tenant": .string(b), "name": "Secret Customer"])
        // The server's own login role, exactly as a request runs: enter tenant A, then try B.
        let db = try Database.loginRole()
        try db.execute("BEGIN")
        try db.query(PostgresStatement("SELECT folio.enter(0, $1, 'viewer', true, 'test')", [a]))
        #expect(try Database.column(db, "SELECT current_user") == [try role(of: a, Database.superuser())])
        do {
            _ = try db.execute("SELECT * FROM t_\(b).customers")
            Issue.record("tenant A's role read tenant B's customers")
        } catch {
            #expect(error.sqlState == "42501")  // insufficient_privilege
        }
        try db.execute("ROLLBACK")
        // The shared code runs as the caller: pointed at tenant B's schema under tenant A's
        // role, it is refused by PostgreSQL too.
        try db.execute("BEGIN")
        try db.query(PostgresStatement("SELECT folio.enter(0, $1, 'viewer', true, 'test')", [a]))
        try db.execute("SET LOCAL search_path = t_\(b), folio_code")
        do {
            _ = try db.execute("SELECT folio_code.customer_list('{}')")
            Issue.record("the shared code read tenant B's customers under tenant A's role")
        } catch {
            // A schema the role may not use is not even searched: B's tables do not exist for A.
            #expect(error.sqlState == "42P01")
        }
        try db.execute("ROLLBACK")
        try db.execute("BEGIN")
        try db.query(PostgresStatement("SELECT folio.enter(0, $1, 'viewer', true, 'test')", [a]))
        #expect(try Database.column(db, "SELECT (folio_code.customer_list('{}')->'items')::text") == ["[]"])
        try db.execute("ROLLBACK")
        try db.execute("BEGIN")
        try db.query(PostgresStatement("SELECT folio.enter(0, $1, 'viewer', true, 'test')", [a]))
        #expect(throws: PostgresError.self) { try db.execute("SELECT * FROM folio.memberships") }
        try db.execute("ROLLBACK")
        try db.execute("BEGIN")
        try db.query(PostgresStatement("SELECT folio.enter(0, $1, 'viewer', true, 'test')", [a]))
        #expect(throws: PostgresError.self) { try db.execute("CREATE TEMP TABLE shadow (x int)") }
        try db.execute("ROLLBACK")
    }

    @Test func loginRoleHoldsNoTenantPrivilegeOutsideSetRole() throws {
        let tenant = try server.makeTenant("inh")
        let db = try Database.loginRole()
        // The login role owns the schemas but does not inherit tenant roles; role switching is per transaction.
        #expect(try Database.column(db, "SELECT rolinherit::text FROM pg_roles WHERE rolname = current_user") == ["false"])
        try db.execute("BEGIN")
        try db.query(PostgresStatement("SELECT folio.enter(0, $1, 'viewer', true, 'test')", [tenant]))
        try db.execute("COMMIT")
        #expect(try Database.column(db, "SELECT current_user") == ["folio"])
        #expect(try Database.column(db, "SELECT current_setting('search_path')") != ["t_\(tenant)"])
    }

    @Test func tenantSchemaKeepsDistributionRules() throws {
        let tenant = try server.makeTenant("citus")
        let schema = "t_\(tenant)"
        let db = try Database.superuser()
        // Foreign keys stay inside the schema.
        let crossing = try Database.column(db, """
            SELECT conname FROM pg_constraint c
            JOIN pg_class src ON src.oid = c.conrelid JOIN pg_namespace ns ON ns.oid = src.relnamespace
            JOIN pg_class dst ON dst.oid = c.confrelid JOIN pg_namespace nd ON nd.oid = dst.relnamespace
            WHERE c.contype = 'f' AND (ns.nspname = $1) <> (nd.nspname = $1)
            """, [schema])
        #expect(crossing.isEmpty)
        // Surrogate keys (single-column primary keys) and foreign key columns are bigints.
        let narrowKeys = try Database.column(db, """
            SELECT cl.relname || '.' || a.attname FROM pg_constraint c
            JOIN pg_class cl ON cl.oid = c.conrelid JOIN pg_namespace n ON n.oid = cl.relnamespace
            JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY (c.conkey)
            WHERE n.nspname = $1 AND a.atttypid IN ('int2'::regtype, 'int4'::regtype)
              AND ((c.contype = 'p' AND cardinality(c.conkey) = 1) OR c.contype = 'f')
            """, [schema])
        #expect(narrowKeys.isEmpty)
        // Invoice and credit note numbers come from a series table, not a sequence.
        let sequenceNumbers = try Database.column(db, """
            SELECT c.relname || '.' || a.attname FROM pg_attribute a
            JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
            LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
            WHERE n.nspname = $1 AND a.attname = 'number'
              AND (a.attidentity <> '' OR pg_get_expr(d.adbin, d.adrelid) LIKE 'nextval%')
            """, [schema])
        #expect(sequenceNumbers.isEmpty)
        // A tenant schema holds data only: no function of its own.
        #expect(try Database.column(db, "SELECT count(*) FROM pg_proc WHERE pronamespace = $1::regnamespace", [schema]) == ["0"])
        // No shared tenant function reaches into the control schema (string literals such
        // as the setting name 'folio.uid' aside).
        let controlUse = try Database.column(db, """
            SELECT p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
            WHERE n.nspname = 'folio_code' AND regexp_replace(p.prosrc, '''[^'']*''', '', 'g') ~ '\\mfolio\\.'
            """)
        #expect(controlUse.isEmpty)
        // Every table of the tenant lives in its schema; the role reaches only that schema
        // and the shared code.
        let usable = try Database.column(db, """
            SELECT nspname FROM pg_namespace
            WHERE has_schema_privilege($1, oid, 'USAGE') AND nspname NOT IN ('pg_catalog', 'information_schema', 'public')
              AND nspname NOT LIKE 'pg_toast%' AND nspname NOT LIKE 'pg_temp%'
            ORDER BY nspname
            """, [try role(of: tenant, db)])
        #expect(usable == ["folio_code", schema])
    }

    /// The private cluster trusts local connections, so its socket directory admits only
    /// its owner (and root): another local user cannot reach PostgreSQL at all.
    @Test(.enabled(if: TestEnvironment.isRoot, "needs root to act as another uid"))
    func otherLocalUsersCannotReachTheCluster() throws {
        let psql = TestEnvironment.pgBin + "/psql"
        let conninfo = "host=\(TestEnvironment.pgHost) dbname=folio user=\(TestEnvironment.pgOSUser) connect_timeout=5"
        let asRoot = try ProcessRunner.run(psql, ["-X", "-At", "-c", "SELECT 1", conninfo])
        #expect(asRoot.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "1", "\(asRoot.stderr)")
        let asOther = try ProcessRunner.run(psql, ["-X", "-At", "-c", "SELECT 1", conninfo], uid: 51_010)
        #expect(asOther.status != 0)
        #expect(asOther.stderr.contains("Permission denied"), "\(asOther.stderr)")
    }
}
