import FolioPostgres

/// Spare tenant schemas: a role and a schema with every tenant migration applied, made
/// ahead of time, so that `tenant.create` renames one (schema, role, settings) instead of
/// running the DDL of some hundred objects while the caller waits.
extension Migrator {
    /// Makes one spare at the latest tenant migration, in its own transaction.
    public func provisionSpare(_ db: PostgresConnection) throws {
        try db.withTransaction {
            let row = try db.query(PostgresStatement("""
                INSERT INTO folio.spare_schemas (id, schema_name, role_name)
                SELECT n, 'folio_spare_' || n,
                       format('ft%s__spare_%s', (SELECT oid FROM pg_database WHERE datname = current_database()), n)
                  FROM (SELECT nextval(pg_get_serial_sequence('folio.spare_schemas', 'id')) AS n) x
                RETURNING id, schema_name, role_name
                """)).rows[0]
            let spare = Self.spareRecord(row)
            try createSchema(db, spare)
            try migrateTenant(db, spare)
            try db.query(PostgresStatement(
                "UPDATE folio.spare_schemas SET tenant_migrations = $2 WHERE id = $1", [row[0], String(tenantMigrationCount)]))
        }
    }

    /// Spares ready to be claimed (at the latest tenant migration).
    public func readySpares(_ db: PostgresConnection) throws -> Int {
        Int(try db.query(PostgresStatement(
            "SELECT count(*) FROM folio.spare_schemas WHERE tenant_migrations = $1", [String(tenantMigrationCount)])).scalar ?? "0") ?? 0
    }

    /// Turns a ready spare into `tenant`'s schema and role, in the caller's transaction:
    /// renames both and fills in the settings. False when none is ready (or a role of the
    /// tenant's name is left over, which the slow path reuses). Concurrent claims take
    /// different spares (SKIP LOCKED).
    func claimSpare(_ db: PostgresConnection, for tenant: TenantRecord) throws -> Bool {
        let claimed = try db.query(PostgresStatement("""
            DELETE FROM folio.spare_schemas
             WHERE id = (SELECT id FROM folio.spare_schemas
                          WHERE tenant_migrations = $1 AND NOT EXISTS (SELECT FROM pg_roles WHERE rolname = $2)
                          ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED)
            RETURNING schema_name, role_name
            """, [String(tenantMigrationCount), tenant.role])).rows
        guard let spare = claimed.first else { return false }
        let ddl = try db.query(PostgresStatement("""
            SELECT format('ALTER SCHEMA %I RENAME TO %I; ALTER ROLE %I RENAME TO %I;
                           UPDATE %I.settings SET tenant = %L, name = %L, currency = %L, updated_at = now();',
                          $1::text, $2::text, $3::text, $4::text, $2::text, $5::text, $6::text, $7::text)
            """, [spare[0], tenant.schema, spare[1], tenant.role, tenant.slug, tenant.name, tenant.currency])).scalar
        try db.execute(ddl ?? "")
        return true
    }

    /// Brings the spares behind the latest tenant migration up to it, each locked so that
    /// no tenant.create claims it meanwhile.
    func migrateSpares(_ db: PostgresConnection) throws {
        let behind = try db.query(PostgresStatement(
            "SELECT id, schema_name, role_name FROM folio.spare_schemas WHERE tenant_migrations < $1 ORDER BY id",
            [String(tenantMigrationCount)])).rows
        for row in behind {
            try db.withTransaction {
                try db.query(PostgresStatement("SELECT 1 FROM folio.spare_schemas WHERE id = $1 FOR UPDATE", [row[0]]))
                try migrateTenant(db, Self.spareRecord(row))
                try db.query(PostgresStatement(
                    "UPDATE folio.spare_schemas SET tenant_migrations = $2 WHERE id = $1", [row[0], String(tenantMigrationCount)]))
            }
        }
        if !behind.isEmpty { progress("spare schemas: \(behind.count) migrated") }
    }

    /// A spare as a tenant record: its settings hold placeholders until it is claimed.
    private static func spareRecord(_ row: [String?]) -> TenantRecord {
        TenantRecord(slug: "spare_\(row[0]!)", schema: row[1]!, role: row[2]!, name: "spare", currency: "EUR")
    }
}
