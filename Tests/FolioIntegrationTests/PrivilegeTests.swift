import FolioPostgres
import Foundation
import Testing

/// The privilege audit: what PostgreSQL itself refuses a tenant's role, checked for
/// every tenant role in the database, and what it does not refuse (README "Isolation":
/// the server closes those by never running caller-supplied SQL).
@Suite(.timeLimit(.minutes(5))) struct PrivilegeTests {
    let server = ServerProcess.shared

    /// Two fresh tenants and their roles.
    private func twoTenants() throws -> (a: String, b: String, roleA: String, roleB: String) {
        let a = try server.makeTenant("pa")
        let b = try server.makeTenant("pb")
        let su = try Database.superuser()
        let role = { (slug: String) in try Database.column(su, "SELECT role_name FROM folio.tenants WHERE slug = $1", [slug])[0]! }
        return (a, b, try role(a), try role(b))
    }

    /// Runs `body` on the login role inside a transaction entered into `tenant`, as a request runs.
    private func asTenant(_ tenant: String, _ body: (PostgresConnection) throws -> Void) throws {
        let db = try Database.loginRole()
        try db.execute("BEGIN")
        try db.query(PostgresStatement("SELECT folio.enter(0, $1, 'owner', true, 'audit')", [tenant]))
        defer { _ = try? db.execute("ROLLBACK") }
        try body(db)
    }

    private func refused(_ db: PostgresConnection, _ sql: String, sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            try db.execute("SAVEPOINT probe")
            _ = try db.execute(sql)
            Issue.record("allowed: \(sql)", sourceLocation: sourceLocation)
        } catch {
            #expect(error.sqlState == "42501", "\(sql): \(error)", sourceLocation: sourceLocation)
            _ = try? db.execute("ROLLBACK TO SAVEPOINT probe")
        }
    }

    @Test func everyTenantRoleLacksCreateTempControlAndOtherSchemas() throws {
        _ = try twoTenants()
        let su = try Database.superuser()
        // For every pair of tenants: no USAGE on another tenant's schema.
        let crossUsage = try Database.column(su, """
            SELECT a.slug || '->' || b.slug FROM folio.tenants a, folio.tenants b
             WHERE a.id <> b.id AND has_schema_privilege(a.role_name, b.schema_name, 'USAGE')
            """)
        #expect(crossUsage.isEmpty, "\(crossUsage)")
        let leaks = try Database.column(su, """
            SELECT slug || ': ' || concat_ws(', ',
                     CASE WHEN has_database_privilege(role_name, current_database(), 'TEMP') THEN 'TEMP' END,
                     CASE WHEN has_database_privilege(role_name, current_database(), 'CREATE') THEN 'CREATE on the database' END,
                     CASE WHEN has_schema_privilege(role_name, 'public', 'CREATE') THEN 'CREATE on public' END,
                     CASE WHEN has_schema_privilege(role_name, 'folio', 'USAGE') THEN 'USAGE on folio' END,
                     CASE WHEN has_schema_privilege(role_name, 'folio_code', 'CREATE') THEN 'CREATE on folio_code' END,
                     CASE WHEN has_schema_privilege(role_name, schema_name, 'CREATE') THEN 'CREATE on its own schema' END,
                     CASE WHEN has_function_privilege(role_name, 'lo_create(oid)', 'EXECUTE') THEN 'lo_create' END,
                     CASE WHEN has_function_privilege(role_name, 'lo_from_bytea(oid, bytea)', 'EXECUTE') THEN 'lo_from_bytea' END,
                     CASE WHEN r.rolcanlogin OR r.rolsuper OR r.rolcreaterole OR r.rolcreatedb OR r.rolbypassrls THEN 'role attributes' END)
              FROM folio.tenants t JOIN pg_roles r ON r.rolname = t.role_name
             WHERE has_database_privilege(role_name, current_database(), 'TEMP')
                OR has_database_privilege(role_name, current_database(), 'CREATE')
                OR has_schema_privilege(role_name, 'public', 'CREATE')
                OR has_schema_privilege(role_name, 'folio', 'USAGE')
                OR has_schema_privilege(role_name, 'folio_code', 'CREATE')
                OR has_schema_privilege(role_name, schema_name, 'CREATE')
                OR has_function_privilege(role_name, 'lo_create(oid)', 'EXECUTE')
                OR has_function_privilege(role_name, 'lo_from_bytea(oid, bytea)', 'EXECUTE')
                OR r.rolcanlogin OR r.rolsuper OR r.rolcreaterole OR r.rolcreatedb OR r.rolbypassrls
            """)
        #expect(leaks.isEmpty, "\(leaks)")
    }

    @Test func insideARequestTheTenantRoleIsRefused() throws {
        let t = try twoTenants()
        try asTenant(t.a) { db in
            refused(db, "CREATE TABLE public.planted (x int)")
            refused(db, "CREATE TEMP TABLE shadow (x int)")
            refused(db, "CREATE TABLE t_\(t.a).planted (x int)")
            refused(db, "CREATE FUNCTION folio_code.planted() RETURNS int LANGUAGE sql RETURN 1")
            refused(db, "SELECT * FROM folio.memberships")
            refused(db, "SELECT * FROM t_\(t.b).customers")
            refused(db, "SELECT lo_create(0)")
            refused(db, "SELECT lo_from_bytea(0, '\\x00')")
        }
    }

    /// What PostgreSQL does not enforce, so the server must: the login role is a member of
    /// every tenant role, and SET ROLE checks the session's user, not the current role,
    /// so SQL run in a request could leave its tenant. No request runs
    /// caller-supplied SQL (every method is a fixed function with jsonb params).
    @Test func whatOnlyTheServerEnforces() throws {
        let t = try twoTenants()
        try asTenant(t.a) { db in
            try db.execute("RESET ROLE")
            #expect(try Database.column(db, "SELECT current_user") == ["folio"])
            try db.execute("SET ROLE \"\(t.roleB)\"")
            #expect(try Database.column(db, "SELECT count(*)::text FROM t_\(t.b).customers") == ["0"])
        }
        try asTenant(t.a) { db in
            // Catalog and statistics are readable by every role: another tenant's schema
            // name (its slug) and row estimates.
            #expect(try Database.column(db, "SELECT nspname::text FROM pg_namespace WHERE nspname = $1", ["t_\(t.b)"]) == ["t_\(t.b)"])
            _ = try Database.column(db, "SELECT count(*)::text FROM pg_stat_user_tables WHERE schemaname = $1", ["t_\(t.b)"])
        }
    }

    @Test func noSecurityDefinerFunctionWithoutAFixedSearchPath() throws {
        let su = try Database.superuser()
        let unsafe = try Database.column(su, """
            SELECT p.oid::regprocedure::text FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
             WHERE p.prosecdef AND n.nspname NOT IN ('pg_catalog', 'information_schema')
               AND NOT EXISTS (SELECT FROM unnest(p.proconfig) c WHERE c LIKE 'search_path=%')
            """)
        #expect(unsafe.isEmpty, "\(unsafe)")
        // And the shared code has none at all: it runs as the caller (the tenant role).
        let definers = try Database.column(su, """
            SELECT p.oid::regprocedure::text FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
             WHERE p.prosecdef AND (n.nspname IN ('folio', 'folio_code') OR n.nspname LIKE 't\\_%')
            """)
        #expect(definers.isEmpty, "\(definers)")
    }
}
