import FolioPostgres
import FolioWire

/// Brings the database to the files under `Schema/`: the control schema's migrations,
/// then the code (every function, once, re-applied as a whole when it changed), then
/// each tenant schema that is behind, each in its own transaction under an advisory
/// lock, so concurrent runs and re-runs are harmless.
public struct Migrator: Sendable {
    public let schema: SchemaFiles
    /// Receives one line per step, for progress output.
    public var progress: @Sendable (String) -> Void = { _ in }

    public init(schema: SchemaFiles) { self.schema = schema }

    /// Held exclusively by control and code migrations; shared by tenant migrations, which
    /// also lock their own schema, so tenants (and spares) migrate side by side but never
    /// while the code or the control schema changes.
    private static let lock = "SELECT pg_advisory_xact_lock(7307417)"
    private static func tenantLock(_ schema: String) -> PostgresStatement {
        PostgresStatement("SELECT pg_advisory_xact_lock_shared(7307417), pg_advisory_xact_lock(7307418, hashtext($1))", [schema])
    }
    /// The shared schema of the tenant code; `folio.enter` puts it after the tenant's.
    static let codeSchema = "folio_code"

    /// Brings the control schema, the code and every tenant schema to the latest version.
    public func migrateAll(_ db: PostgresConnection) throws {
        try checkLoginRole(db)
        try migrateControl(db)
        try applyCode(db)
        try refusePerTenantCode(db)
        let latest = tenantMigrationCount
        let behind = try db.query(PostgresStatement(
            "SELECT slug, schema_name, role_name, name, currency FROM folio.tenants WHERE tenant_migrations < $1 ORDER BY id",
            [String(latest)])).rows
        for (i, row) in behind.enumerated() {
            let tenant = TenantRecord(row)
            progress("tenant \(tenant.slug) (\(i + 1)/\(behind.count))")
            try db.withTransaction {
                try migrateTenant(db, tenant)
                try recordMigrations(db, of: tenant)
            }
        }
        try migrateSpares(db)
        let total = try db.query(PostgresStatement("SELECT count(*) FROM folio.tenants")).scalar ?? "0"
        progress("up to date: control v\(schema.control.last!.version), tenant v\(schema.tenant.last!.version), code \(schema.codeChecksum), \(total) tenant(s), \(behind.count) migrated")
    }

    /// Applies `Schema/code/` when its checksum differs from the one applied last: every
    /// file with CREATE OR REPLACE in one transaction, then drops the functions of `folio`
    /// and `folio_code` that no file defines any more (a function still used by a trigger,
    /// view or constraint refuses to go: the migration fails).
    func applyCode(_ db: PostgresConnection) throws {
        try db.withTransaction {
            try db.execute(Self.lock)
            let applied = try db.query(PostgresStatement("SELECT checksum FROM folio.code_version")).scalar
            if applied == schema.codeChecksum { return }
            try db.execute("""
                SET LOCAL check_function_bodies = off;
                SET LOCAL search_path = \(Self.codeSchema);
                CREATE SCHEMA IF NOT EXISTS \(Self.codeSchema);
                REVOKE ALL ON SCHEMA \(Self.codeSchema) FROM PUBLIC;
                GRANT USAGE ON SCHEMA \(Self.codeSchema) TO PUBLIC;
                """)
            for file in schema.code {
                try db.execute(file.sql)
            }
            let stale = try db.query(PostgresStatement("""
                SELECT format('%I.%I(%s)', p.pronamespace::regnamespace, p.proname, pg_get_function_identity_arguments(p.oid))
                  FROM pg_proc p
                 WHERE p.pronamespace IN ('folio'::regnamespace, '\(Self.codeSchema)'::regnamespace)
                   AND p.xmin <> xid(pg_current_xact_id())
                """)).rows.map { $0[0]! }
            for function in stale {
                try db.execute("DROP FUNCTION \(function)")
                progress("code: dropped \(function)")
            }
            try db.query(PostgresStatement("""
                INSERT INTO folio.code_version (checksum) VALUES ($1)
                ON CONFLICT (singleton) DO UPDATE SET checksum = excluded.checksum, applied_at = now()
                """, [schema.codeChecksum]))
            progress("code: applied \(schema.code.count) file(s), version \(schema.codeChecksum)")
        }
    }

    /// A tenant schema must hold no function: one left by an older layout would shadow
    /// the shared code in the request's search_path.
    func refusePerTenantCode(_ db: PostgresConnection) throws {
        let holding = try db.query(PostgresStatement("""
            SELECT t.schema_name FROM folio.tenants t
             WHERE EXISTS (SELECT FROM pg_proc p WHERE p.pronamespace = t.schema_name::regnamespace)
             ORDER BY t.id LIMIT 1
            """)).scalar
        if let holding { throw MigrationError.perTenantCode(holding) }
    }

    /// The server's login role must not inherit tenant roles' privileges: it may only
    /// reach a tenant's tables after `SET LOCAL ROLE`.
    func checkLoginRole(_ db: PostgresConnection) throws {
        let inherits = try db.query(PostgresStatement(
            "SELECT rolinherit FROM pg_roles WHERE rolname = current_user")).scalar
        if inherits == "t" {
            throw MigrationError.loginRoleInherits
        }
    }

    func migrateControl(_ db: PostgresConnection) throws {
        try db.withTransaction {
            try db.execute("""
                CREATE SCHEMA IF NOT EXISTS folio;
                CREATE TABLE IF NOT EXISTS folio.schema_migrations (
                    version bigint PRIMARY KEY, name text NOT NULL, checksum text NOT NULL,
                    applied_at timestamptz NOT NULL DEFAULT now());
                """)
            try db.execute(Self.lock)
            try apply(schema.control, table: "folio.schema_migrations", db: db, label: "control") { $0 }
        }
    }

    /// Creates a tenant: its row, then a spare schema renamed to it (see SpareSchemas.swift) or,
    /// when none is ready, a new NOLOGIN role and schema with every tenant migration. Runs
    /// inside the caller's transaction, so all of it commits or none does. Returns the tenant
    /// as JSON text.
    public func createTenant(_ db: PostgresConnection, slug: String, name: String, currency: String) throws -> String {
        let row = try db.query(PostgresStatement("""
            INSERT INTO folio.tenants (slug, name, currency, schema_name, role_name)
            VALUES ($1, $2, $3, 't_' || $1,
                    format('ft%s_%s', (SELECT oid FROM pg_database WHERE datname = current_database()), $1))
            RETURNING slug, schema_name, role_name, name, currency
            """, [slug, name, currency])).rows[0]
        let tenant = TenantRecord(row)
        if try !claimSpare(db, for: tenant) {
            try createSchema(db, tenant)
            try migrateTenant(db, tenant)
        }
        try recordMigrations(db, of: tenant)
        return try db.query(PostgresStatement(
            "SELECT folio.tenant_json(t)::text FROM folio.tenants t WHERE slug = $1", [slug])).scalar ?? "{}"
    }

    /// The tenant's NOLOGIN role (reused when a role of that name is left over), granted to
    /// the login role for SET ROLE, and its schema, usable by that role only.
    func createSchema(_ db: PostgresConnection, _ tenant: TenantRecord) throws {
        let ddl = try db.query(PostgresStatement("""
            SELECT format('DO $do$ BEGIN
                IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = %L) THEN CREATE ROLE %I NOLOGIN NOINHERIT; END IF;
              END $do$;
              GRANT %I TO %I;
              CREATE SCHEMA %I;
              REVOKE ALL ON SCHEMA %I FROM PUBLIC;
              GRANT USAGE ON SCHEMA %I TO %I;', $1::text, $1::text, $1::text, current_user, $2::text, $2::text, $2::text, $1::text)
            """, [tenant.role, tenant.schema])).scalar
        try db.execute(ddl ?? "")
    }

    /// Applies the tenant migrations the schema has not had yet (the caller records the version).
    func migrateTenant(_ db: PostgresConnection, _ tenant: TenantRecord) throws {
        try db.query(Self.tenantLock(tenant.schema))
        try db.query(PostgresStatement(
            "SELECT set_config('search_path', quote_ident($1) || ', \(Self.codeSchema)', true)", [tenant.schema]))
        try db.execute("""
            CREATE TABLE IF NOT EXISTS schema_migrations (
                version bigint PRIMARY KEY, name text NOT NULL, checksum text NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now())
            """)
        try apply(schema.tenant, table: "schema_migrations", db: db, label: "tenant \(tenant.slug)") { sql in
            sql.replacingOccurrences(of: "{{tenant_role}}", with: quoteIdentifier(tenant.role))
                .replacingOccurrences(of: "{{tenant}}", with: quoteLiteral(tenant.slug))
                .replacingOccurrences(of: "{{tenant_name}}", with: quoteLiteral(tenant.name))
                .replacingOccurrences(of: "{{currency}}", with: quoteLiteral(tenant.currency))
        }
    }

    private func recordMigrations(_ db: PostgresConnection, of tenant: TenantRecord) throws {
        try db.query(PostgresStatement(
            "UPDATE folio.tenants SET tenant_migrations = $2 WHERE slug = $1", [tenant.slug, String(tenantMigrationCount)]))
    }

    /// How many tenant migrations there are: a tenant (or spare) that has had fewer is
    /// behind, whichever one it lacks (one merged later with a lower number too).
    var tenantMigrationCount: Int { schema.tenant.count }

    private func apply(
        _ migrations: [SchemaFiles.Migration], table: String, db: PostgresConnection, label: String,
        render: (String) -> String
    ) throws {
        let applied = try db.query(PostgresStatement("SELECT version, checksum FROM \(table)")).rows
        let known = Dictionary(uniqueKeysWithValues: applied.map { (Int($0[0]!)!, $0[1]!) })
        for migration in migrations {
            if let checksum = known[migration.version] {
                if checksum != migration.checksum {
                    progress("\(label): warning: \(migration.name) changed after it was applied")
                }
                continue
            }
            try db.execute(render(migration.sql))
            try db.query(PostgresStatement(
                "INSERT INTO \(table) (version, name, checksum) VALUES ($1, $2, $3)",
                [String(migration.version), migration.name, migration.checksum]))
            progress("\(label): applied \(migration.name)")
        }
    }
}

/// A tenant's row in the control schema (or a spare schema's, with placeholder settings).
struct TenantRecord {
    var slug: String
    var schema: String
    var role: String
    var name: String
    var currency: String

    init(slug: String, schema: String, role: String, name: String, currency: String) {
        (self.slug, self.schema, self.role, self.name, self.currency) = (slug, schema, role, name, currency)
    }

    init(_ row: [String?]) {
        slug = row[0]!
        schema = row[1]!
        role = row[2]!
        name = row[3]!
        currency = row[4]!
    }
}

public enum MigrationError: Error, CustomStringConvertible {
    case loginRoleInherits
    case perTenantCode(String)

    public var description: String {
        switch self {
        case .loginRoleInherits:
            "the server's database role inherits privileges; run ALTER ROLE <role> NOINHERIT so tenant data is reachable only through SET ROLE"
        case .perTenantCode(let schema):
            "tenant schema \(schema) holds functions from a pre-release layout (code now lives once, in folio_code); recreate the database (deploy/dev-down --purge)"
        }
    }
}

func quoteIdentifier(_ s: String) -> String { "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }
func quoteLiteral(_ s: String) -> String { "'" + s.replacingOccurrences(of: "'", with: "''") + "'" }
