import FolioDomain
import FolioPostgres
import FolioWire
import NIOCore

/// The methods carried out in the server rather than in a tenant schema: identity,
/// tenant creation (schema, role and migrations in one transaction) and memberships.
/// Their authorization lives in the control schema's `folio.authorize`.
struct TenantAdministration: Sendable {
    let pool: PostgresPool
    let migrator: Migrator

    func run(
        _ method: MethodSpec.ControlMethod, _ spec: MethodSpec, _ params: JSONObject, caller: Caller, on eventLoop: EventLoop
    ) -> EventLoopFuture<Reply> {
        let uid = String(caller.uid)
        let admin = caller.isAdmin ? "t" : "f"
        let tenant = params["tenant"]?.stringValue ?? ""
        switch method {
        case .whoami:
            return pool.run(on: eventLoop, client: caller.client) { db in
                let memberships = try db.query(PostgresStatement(
                    "SELECT folio.memberships_of($1::bigint)::text", [uid], prepareAs: "folio_memberships_of")).scalar ?? "[]"
                return .text(#"{"uid":\#(uid),"admin":\#(caller.isAdmin),"tenants":\#(memberships)}"#)
            }
        case .tenantList:
            return pool.run(on: eventLoop, client: caller.client) { db in
                let (limit, after) = try Self.page(params)
                return .text(try db.query(PostgresStatement(
                    "SELECT folio.tenant_list($1::bigint, $2::boolean, $3::int, $4::bigint)::text",
                    [uid, admin, limit, after])).scalar ?? "{}")
            }
        case .tenantMembers:
            return pool.run(on: eventLoop, client: caller.client) { db in
                let (limit, after) = try Self.page(params)
                return .text(try db.query(PostgresStatement(
                    "SELECT folio.tenant_members($1::bigint, $2::boolean, $3, $4::int, $5::bigint)::text",
                    [uid, admin, tenant, limit, after])).scalar ?? "{}")
            }
        case .tenantCreate:
            let name = params["name"]?.stringValue ?? ""
            let currency = params["currency"]?.stringValue ?? ""
            return idempotent(spec, params, tenant: tenant, caller: caller, on: eventLoop) { db in
                do {
                    return try migrator.createTenant(db, slug: tenant, name: name, currency: currency)
                } catch let error as PostgresError where error.sqlState == "23505" {
                    throw RPCError.conflict("tenant \(tenant) already exists", field: "tenant")
                } catch let error as PostgresError where error.constraint == "settings_currency_known" {
                    throw RPCError.invalidParams("currency \(currency) is not an ISO 4217 code", field: "currency")
                }
            }
        case .tenantGrant:
            let member = params["uid"]?.int64Value.map(String.init) ?? ""
            let role = params["role"]?.stringValue ?? ""
            return idempotent(spec, params, tenant: tenant, caller: caller, on: eventLoop) { db in
                try db.query(PostgresStatement(
                    "SELECT folio.grant_membership($1::bigint, $2::boolean, $3, $4::bigint, $5)::text",
                    [uid, admin, tenant, member, role])).scalar ?? "{}"
            }
        case .tenantRevoke:
            let member = params["uid"]?.int64Value.map(String.init) ?? ""
            return idempotent(spec, params, tenant: tenant, caller: caller, on: eventLoop) { db in
                try db.query(PostgresStatement(
                    "SELECT folio.revoke_membership($1::bigint, $2::boolean, $3, $4::bigint)::text",
                    [uid, admin, tenant, member])).scalar ?? "{}"
            }
        }
    }

    /// A list's page: `limit` (default 50) and the id after which it starts (the `cursor`
    /// a previous page returned, an id as text).
    private static func page(_ params: JSONObject) throws -> (limit: String, after: String) {
        let limit = params["limit"]?.int64Value ?? 50
        guard let cursor = params["cursor"]?.stringValue else { return (String(limit), "-1") }
        guard cursor.count <= 18, !cursor.isEmpty, cursor.allSatisfy({ ("0"..."9").contains($0) }) else {
            throw RPCError.invalidParams("cursor is not a cursor returned by this list", field: "cursor")
        }
        return (String(limit), cursor)
    }

    /// Runs a mutating control method in one transaction, honouring `idempotency_key`
    /// through the control schema's key table.
    private func idempotent(
        _ spec: MethodSpec, _ params: JSONObject, tenant: String, caller: Caller, on eventLoop: EventLoop,
        _ body: @escaping @Sendable (PostgresConnection) throws -> String
    ) -> EventLoopFuture<Reply> {
        let key = params["idempotency_key"]?.stringValue
        var hashed = params
        hashed["idempotency_key"] = nil
        let paramsText = JSONWriter.string(.object(hashed))
        return pool.run(on: eventLoop, client: caller.client) { db in
            try db.withTransaction {
                guard let key else { return .text(try body(db)) }
                if let prior = try db.query(PostgresStatement(
                    "SELECT folio.idempotency_claim($1, $2, $3, $4::jsonb)::text", [tenant, spec.name, key, paramsText])).scalar {
                    return .text(prior)
                }
                let result = try body(db)
                try db.query(PostgresStatement(
                    "SELECT folio.idempotency_store($1, $2, $3, $4::jsonb)", [tenant, spec.name, key, result]))
                return .text(result)
            }
        }
    }
}
