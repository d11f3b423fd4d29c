import FolioPostgres
import Foundation
import NIOConcurrencyHelpers

/// Which tenants the outbox sender visits on a pass, so that a pass costs one visit per
/// tenant with mail to send rather than one per tenant: those whose outbox announced new
/// mail (`NOTIFY folio_outbox` with the tenant's schema, from the outbox's trigger, heard
/// on a listening connection of its own) and those whose queued mail (a retry, an expired
/// lease) falls due by now. Every tenant is visited on the first pass, whenever the
/// listening connection had to be (re)opened, and every `sweepEvery` passes, so mail that
/// arrived unannounced (rows written in psql with the trigger disabled, say) still goes.
final class OutboxWatch: Sendable {
    static let channel = "folio_outbox"

    private struct State {
        var listener: PostgresConnection?
        var passes = 0
        /// Tenant slug -> when its queued mail is next due.
        var dueAt: [String: Date] = [:]
    }

    private let conninfo: String
    private let sweepEvery: Int
    private let state = NIOLockedValueBox(State())

    init(conninfo: String, sweepEvery: Int) {
        self.conninfo = conninfo
        self.sweepEvery = max(sweepEvery, 1)
    }

    /// The tenants (slugs, in id order) to visit on this pass. Runs on a pool worker (it
    /// may open the listening connection); `db` reads the control schema.
    func tenantsToVisit(_ db: PostgresConnection) throws -> (tenants: [String], sweep: Bool) {
        try state.withLockedValue { state in
            state.passes += 1
            var sweep = state.passes == 1 || state.passes % sweepEvery == 0
            var announced: Set<String> = []
            if let listener = state.listener {
                do {
                    announced = Set(try listener.notifications()
                        .filter { $0.channel == Self.channel && Self.isSchemaName($0.payload) }.map(\.payload))
                } catch {
                    state.listener = nil
                }
            }
            if state.listener == nil {
                // Listen first, then visit everyone: nothing written after this is missed.
                let listener = try PostgresConnection(conninfo: conninfo)
                try listener.execute("LISTEN \(Self.channel)")
                state.listener = listener
                sweep = true
            }
            if sweep {
                return (try db.query(PostgresStatement("SELECT slug FROM folio.tenants ORDER BY id")).rows.compactMap { $0[0] },
                        true)
            }
            let now = Date()
            var slugs = Set(state.dueAt.filter { $0.value <= now }.keys)
            if !announced.isEmpty {
                let schemas = "{" + announced.map { "\"\($0)\"" }.joined(separator: ",") + "}"
                slugs.formUnion(try db.query(PostgresStatement(
                    "SELECT slug FROM folio.tenants WHERE schema_name = ANY($1::text[])", [schemas])).rows.compactMap { $0[0] })
            }
            return (slugs.sorted(), false)
        }
    }

    /// A tenant schema's name as the trigger sends it (`t_` and a slug); anything else on
    /// the channel is ignored.
    private static func isSchemaName(_ text: String) -> Bool {
        !text.isEmpty && text.utf8.allSatisfy { (0x61...0x7a).contains($0) || (0x30...0x39).contains($0) || $0 == 0x5f }
    }

    /// Records a visit's outcome: when the tenant's queued mail is next due, if any.
    func visited(_ tenant: String, nextDue: Date?) {
        state.withLockedValue { $0.dueAt[tenant] = nextDue }
    }
}
