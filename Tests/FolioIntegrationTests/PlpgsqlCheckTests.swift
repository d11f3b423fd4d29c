import FolioPostgres
import Foundation
import Testing

/// Every PL/pgSQL function of the shared code passes plpgsql_check (Debian's
/// postgresql-15-plpgsql-check) under a tenant's search_path: no unknown table,
/// column, function or type. The one finding it cannot avoid is that a `record`
/// (a tenant table's row, see Schema/code/helpers.sql) has no shape before it is
/// assigned at run time, so what reads its fields is checked by the tests that
/// run it; trigger functions are checked against each table they serve
/// (one body serves INSERT, UPDATE and DELETE, branching on TG_OP, so the transition
/// table a statement does not have is reached only in a branch it never takes).
@Suite(.timeLimit(.minutes(5))) struct PlpgsqlCheckTests {
    let server = ServerProcess.shared

    @Test func sharedCodePassesPlpgsqlCheck() throws {
        let tenant = try server.makeTenant("plc")
        let db = try Database.superuser()
        try db.execute("""
            CREATE SCHEMA IF NOT EXISTS plpgsql_check;
            CREATE EXTENSION IF NOT EXISTS plpgsql_check SCHEMA plpgsql_check;
            SET search_path = t_\(tenant), folio_code;
            """)
        let functions = try Database.column(db, """
            SELECT p.proname || ': ' || c.message || coalesce(' (line ' || c.lineno || ')', '')
              FROM pg_proc p
             CROSS JOIN LATERAL plpgsql_check.plpgsql_check_function_tb(p.oid, fatal_errors => false) c
             WHERE p.pronamespace = 'folio_code'::regnamespace AND p.prorettype <> 'trigger'::regtype
               AND p.prolang = (SELECT oid FROM pg_language WHERE lanname = 'plpgsql')
               AND c.level = 'error'
               AND NOT (c.sqlstate = '55000'
                        AND c.message ~ '^record "\\w+" is not assigned (yet|to tuple structure)$')
            """)
        #expect(functions.isEmpty, "\(functions)")
        let triggers = try Database.column(db, """
            SELECT tg.tgname || ': ' || c.message || coalesce(' (line ' || c.lineno || ')', '')
              FROM pg_trigger tg JOIN pg_proc p ON p.oid = tg.tgfoid
             CROSS JOIN LATERAL plpgsql_check.plpgsql_check_function_tb(
                 p.oid, tg.tgrelid, fatal_errors => false, newtable => tg.tgnewtable, oldtable => tg.tgoldtable) c
             WHERE tg.tgrelid IN (SELECT oid FROM pg_class WHERE relnamespace = $1::regnamespace)
               AND NOT tg.tgisinternal AND c.level = 'error'
               AND NOT (c.message = format('relation "%s" does not exist', 'old_rows') AND tg.tgoldtable IS NULL)
               AND NOT (c.message = format('relation "%s" does not exist', 'new_rows') AND tg.tgnewtable IS NULL)
            """, ["t_\(tenant)"])
        #expect(triggers.isEmpty, "\(triggers)")
        // The test really ran the checker over the code.
        #expect(try Database.column(db, """
            SELECT count(*) > 100 FROM pg_proc WHERE pronamespace = 'folio_code'::regnamespace
            """) == ["t"])
    }
}
