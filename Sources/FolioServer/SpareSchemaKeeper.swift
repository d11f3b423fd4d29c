import FolioPostgres
import Logging
import NIOCore

/// Keeps `target` spare tenant schemas ready (see `Migrator.provisionSpare`), checking
/// every `interval`: tenant.create then takes milliseconds. When spares run short it
/// makes them on up to `parallel` pool workers at once, each spare in its own
/// transaction, so a burst of tenant creations is refilled on every core.
struct SpareSchemaKeeper: Sendable {
    let pool: PostgresPool
    let migrator: Migrator
    let target: Int
    var parallel = 2
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
        pool.run(on: eventLoop) { db in try migrator.readySpares(db) }.flatMap { ready in
            let makers = (0..<min(parallel, max(target - ready, 0))).map { _ in
                pool.run(on: eventLoop) { db in
                    while try migrator.readySpares(db) < target { try migrator.provisionSpare(db) }
                }
            }
            return EventLoopFuture.andAllSucceed(makers, on: eventLoop)
        }
    }
}
