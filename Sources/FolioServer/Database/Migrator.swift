import FolioPostgres
import FolioWire

/// Applies the SQL migrations: the control schema, and each tenant schema in its own
/// transaction under an advisory lock, so concurrent runs and re-runs are harmless.
public struct Migrator: Sendable {
    public let schema: SchemaFiles
    /// Receives one line per step, for progress output.
    public var progress: @Sendable (String) -> Void = { _ in }

    public init(schema: SchemaFiles) { self.schema = schema }

    private static let lock = "SELECT pg_advisory_xact_lock(7307417)"

    /// Brings the control schema and every tenant schema to the latest version.
    public func migrateAll(_ db: PostgresConnection) throws {
        try checkLoginRole(db)
        try migrateControl(db)
        let tenants = try db.query(PostgresStatement(
            "SELECT slug, schema_name, role_name, name, currency FROM folio.tenants ORDER BY id")).rows
        for (i, row) in tenants.enumerated() {
            let tenant = TenantRecord(row)
            progress("tenant \(tenant.slug) (\(i + 1)/\(tenants.count))")
            try db.withTransaction { try migrateTenant(db, tenant) }
        }
        progress("up to date: control v\(schema.control.last!.version), tenant v\(schema.tenant.last!.version), \(tenants.count) tenant(s)")
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
            try apply(schema.control, table: "folio.schema_migrations", db: db, label: "control") { $0 }
        }
    }

    /// Creates a tenant: its row, NOLOGIN role, schema and every tenant migration. Runs inside
    /// the caller's transaction, so all of it commits or none does. Returns the tenant as JSON text.
    public func createTenant(_ db: PostgresConnection, slug: String, name: String, currency: String) throws -> String {
        let row = try db.query(PostgresStatement("""
            INSERT INTO folio.tenants (slug, name, currency, schema_name, role_name)
            VALUES ($1, $2, $3, 't_' || $1,
                    format('ft%s_%s', (SELECT oid FROM pg_database WHERE datname = current_database()), $1))
            RETURNING slug, schema_name, role_name, name, currency
            """, [slug, name, currency])).rows[0]
        let tenant = TenantRecord(row)
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
        try migrateTenant(db, tenant)
        return try db.query(PostgresStatement(
            "SELECT folio.tenant_json(t)::text FROM folio.tenants t WHERE slug = $1", [slug])).scalar ?? "{}"
    }

    func migrateTenant(_ db: PostgresConnection, _ tenant: TenantRecord) throws {
        try db.query(PostgresStatement("SELECT set_config('search_path', quote_ident($1), true)", [tenant.schema]))
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

    private func apply(
        _ migrations: [SchemaFiles.Migration], table: String, db: PostgresConnection, label: String,
        render: (String) -> String
    ) throws {
        try db.execute(Self.lock)
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

/// A tenant's row in the control schema.
struct TenantRecord {
    var slug: String
    var schema: String
    var role: String
    var name: String
    var currency: String

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

    public var description: String {
        "the server's database role inherits privileges; run ALTER ROLE <role> NOINHERIT so tenant data is reachable only through SET ROLE"
    }
}

func quoteIdentifier(_ s: String) -> String { "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }
func quoteLiteral(_ s: String) -> String { "'" + s.replacingOccurrences(of: "'", with: "''") + "'" }
