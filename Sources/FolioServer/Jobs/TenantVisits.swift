import FolioPostgres
import NIOCore

extension PostgresPool {
    /// Runs `visit` for each tenant in turn, one after the other, each on the tenant's home
    /// pooled connection like a request (so a background job keeps the pool's
    /// per-connection tenant bounds and never occupies more than one connection); returns
    /// the sum of what the visits return. A visit handles its own failures.
    func visitInTurn(
        _ tenants: [String], on eventLoop: EventLoop, _ visit: @escaping @Sendable (PostgresConnection, String) -> Int
    ) -> EventLoopFuture<Int> {
        tenants.reduce(eventLoop.makeSucceededFuture(0)) { soFar, tenant in
            soFar.flatMap { total in
                self.run(on: eventLoop, tenant: tenant) { db in total + visit(db, tenant) }
            }
        }
    }
}
