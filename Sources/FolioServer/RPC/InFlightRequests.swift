import NIOConcurrencyHelpers
import NIOCore

/// Counts requests being worked on across all connections, so a graceful shutdown can
/// wait for them to finish before closing connections.
final class InFlightRequests: Sendable {
    private let state = NIOLockedValueBox<(count: Int, waiters: [EventLoopPromise<Void>])>((0, []))

    func begin() {
        state.withLockedValue { $0.count += 1 }
    }

    func end() {
        let waiters = state.withLockedValue { state -> [EventLoopPromise<Void>] in
            state.count -= 1
            guard state.count == 0 else { return [] }
            defer { state.waiters = [] }
            return state.waiters
        }
        waiters.forEach { $0.succeed() }
    }

    /// Completes once no request is in flight.
    func drained(on eventLoop: EventLoop) -> EventLoopFuture<Void> {
        let promise = eventLoop.makePromise(of: Void.self)
        let idle = state.withLockedValue { state -> Bool in
            if state.count == 0 { return true }
            state.waiters.append(promise)
            return false
        }
        if idle { promise.succeed() }
        return promise.futureResult
    }
}
