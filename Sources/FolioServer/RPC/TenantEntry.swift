import FolioDomain
import FolioPostgres

/// How a request enters its tenant: `folio.enter` checks the membership, switches to
/// the tenant's role and schema for the rest of the transaction, and says whether the
/// connection gives this tenant its own plans of the hottest functions (the pool's
/// warm tenants, see `tenant_plans()` in Schema/code/01_helpers.sql). It also passes
/// how long the request waited in the pool, so the lock timeout counts from its arrival
/// (`lock_budget()` in Schema/code/01_helpers.sql).
struct TenantEntry: Sendable {
    let uid: UInt32
    let tenant: String
    let role: Role
    let isAdmin: Bool
    let method: String
    /// The client connection the request came from (fairness, cancellation); none for
    /// the server's own jobs.
    let client: PoolClient?

    /// How a server job (housekeeping, the outbox sender, the scheduler) enters a tenant:
    /// as uid 0 with admin rights and the owner's role, its name recorded as the method.
    static func job(_ name: String, tenant: String) -> TenantEntry {
        TenantEntry(uid: 0, tenant: tenant, role: .owner, isAdmin: true, method: name, client: nil)
    }

    /// The statement for the connection the request runs on.
    func statement(on db: PostgresConnection) -> PostgresStatement {
        PostgresStatement(
            "SELECT folio.enter($1::bigint, $2, $3, $4::boolean, $5, $6::boolean, $7::int)",
            [String(uid), tenant, role.rawValue, isAdmin ? "t" : "f", method, db.servesWarmTenant ? "t" : "f",
             String(db.queuedNanoseconds / 1_000_000)],
            prepareAs: "folio_enter")
    }
}
