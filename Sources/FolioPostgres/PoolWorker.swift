import Foundation

/// One pooled connection and the thread that alone uses it, with the queue of work
/// waiting for it. The connection and its bookkeeping are touched only by that thread;
/// the queue is shared with submitters under a condition lock.
final class PoolWorker: @unchecked Sendable {
    let index: Int
    private let condition = NSCondition()
    private var jobs: [@Sendable () -> Void] = []
    private var head = 0
    private var running = false
    /// When the running job started (uptime nanoseconds).
    private var runningSince: UInt64 = 0
    private var stopping = false
    private let finished = DispatchSemaphore(value: 0)

    // Owned by the worker thread.
    var connection: PostgresConnection?
    var generation = 0
    var tenants: Set<String> = []
    /// The first tenants the connection served, up to the pool's `warmTenants`.
    var warm: Set<String> = []

    init(index: Int) { self.index = index }

    /// Jobs queued or running: what a submitter compares to pick a worker. A job running
    /// for longer than `stalledAfter` nanoseconds (waiting for a lock, say) counts
    /// `stallPenalty` more, so new work goes elsewhere rather than queue behind it.
    func load(now: UInt64, stalledAfter: UInt64, stallPenalty: Int) -> Int {
        condition.lock()
        defer { condition.unlock() }
        guard running else { return jobs.count - head }
        let stalled = now &- runningSince > stalledAfter
        return jobs.count - head + 1 + (stalled ? stallPenalty : 0)
    }

    /// Queues a job; false once the worker is stopping.
    func enqueue(_ job: @escaping @Sendable () -> Void) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        guard !stopping else { return false }
        jobs.append(job)
        condition.signal()
        return true
    }

    func start(name: String) {
        let thread = Thread { [self] in loop() }
        thread.name = name
        thread.stackSize = 1 << 20
        thread.start()
    }

    /// Stops taking work; the thread finishes what is queued, drops its connection and exits.
    func stop() {
        condition.lock()
        stopping = true
        condition.signal()
        condition.unlock()
    }

    /// Waits until the thread has exited (after `stop`).
    func join() { finished.wait() }

    private func loop() {
        while let job = next() {
            job()
            condition.lock()
            running = false
            condition.unlock()
        }
        connection = nil
        finished.signal()
    }

    private func next() -> (@Sendable () -> Void)? {
        condition.lock()
        defer { condition.unlock() }
        while head == jobs.count && !stopping { condition.wait() }
        guard head < jobs.count else { return nil }
        let job = jobs[head]
        head += 1
        if head == jobs.count {
            jobs.removeAll(keepingCapacity: true)
            head = 0
        }
        running = true
        runningSince = DispatchTime.now().uptimeNanoseconds
        return job
    }
}
