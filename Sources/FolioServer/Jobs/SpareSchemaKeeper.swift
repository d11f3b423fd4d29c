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

    /// Makes the spares missing now, split between up to `parallel` workers: the shares
    /// add up to the shortfall, so the keeper never holds more than `target`.
    func topUp(on eventLoop: EventLoop) -> EventLoopFuture<Void> {
        pool.run(on: eventLoop) { db in try migrator.readySpares(db) }.flatMap { ready in
            let missing = max(target - ready, 0)
            let workers = min(parallel, missing)
            let makers = (0..<workers).map { worker in
                let share = missing / workers + (worker < missing % workers ? 1 : 0)
                return pool.run(on: eventLoop) { db in
                    for _ in 0..<share { try migrator.provisionSpare(db) }
                }
            }
            return EventLoopFuture.andAllSucceed(makers, on: eventLoop)
        }
    }
}
