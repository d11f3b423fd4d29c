import FolioPostgres
import Logging
import NIOCore

/// Keeps `target` spare tenant schemas ready (see `Migrator.provisionSpare`), checking
/// every `interval`: tenant.create then takes milliseconds. Each spare is made in its own
/// transaction on a pool worker, one at a time.
struct SpareSchemaKeeper: Sendable {
    let pool: PostgresPool
    let migrator: Migrator
    let target: Int
    let logger: Logger

    func schedule(on eventLoop: EventLoop, every interval: TimeAmount) {
        guard target > 0 else { return }
        eventLoop.scheduleRepeatedAsyncTask(initialDelay: .milliseconds(200), delay: interval) { _ in
            topUp(on: eventLoop).recover { error in
                logger.warning("spare tenant schemas: top-up failed", metadata: ["error": "\(error)"])
            }
        }
    }

    func topUp(on eventLoop: EventLoop) -> EventLoopFuture<Void> {
        pool.run(on: eventLoop) { db in
            var ready = try migrator.readySpares(db)
            while ready < target {
                try migrator.provisionSpare(db)
                ready += 1
            }
        }
    }
}
