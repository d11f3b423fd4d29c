import Foundation

/// One pooled connection and the thread that alone uses it, with the queue of work
/// waiting for it. The connection and its bookkeeping are touched only by that thread;
/// the queue is shared with submitters under a condition lock. An idle worker looks
/// every `stealInterval` for work queued behind a stalled job of another worker (one
/// waiting for a lock, say) and runs it itself.
final class PoolWorker: @unchecked Sendable {
    /// Queued work; it gets the worker that runs it (not always the one it was queued on).
    typealias Job = @Sendable (PoolWorker) -> Void

    let index: Int
    private let condition = NSCondition()
    private var jobs: [Job] = []
    private var head = 0
    private var running = false
    /// When the running job started (uptime nanoseconds).
    private var runningSince: UInt64 = 0
    private var stopping = false
    private let finished = DispatchSemaphore(value: 0)
    /// Finds a job stalled elsewhere for this idle worker; set before `start`.
    var steal: (@Sendable () -> Job?)?
    static let stealInterval: TimeInterval = 0.02

    // Owned by the worker thread.
    var connection: PostgresConnection?
    var generation = 0
    var tenants: Set<String> = []
    /// The first tenants the connection served, up to the pool's `warmTenants`.
    var warm: Set<String> = []

    init(index: Int) { self.index = index }

    /// Jobs queued or running: what a submitter compares to pick a worker. A job running
    /// for longer than `stalledAfter` nanoseconds counts `stallPenalty` more, so new work
    /// goes elsewhere rather than queue behind it.
    func load(now: UInt64, stalledAfter: UInt64, stallPenalty: Int) -> Int {
        condition.lock()
        defer { condition.unlock() }
        guard running else { return jobs.count - head }
        return jobs.count - head + 1 + (isStalled(now: now, after: stalledAfter) ? stallPenalty : 0)
    }

    /// The oldest queued job if the running one has been running for `stalledAfter`
    /// nanoseconds: it would wait behind it.
    func takeIfStalled(now: UInt64, stalledAfter: UInt64) -> Job? {
        condition.lock()
        defer { condition.unlock() }
        guard running, isStalled(now: now, after: stalledAfter), head < jobs.count else { return nil }
        return take()
    }

    /// Whether the running job started more than `after` nanoseconds before `now`. A job
    /// that started after `now` was read (the caller reads the clock once for all
    /// workers) is not stalled: unsigned subtraction would wrap around.
    private func isStalled(now: UInt64, after: UInt64) -> Bool {
        now > runningSince && now - runningSince > after
    }

    /// Queues a job; false once the worker is stopping.
    func enqueue(_ job: @escaping Job) -> Bool {
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
            job(self)
            condition.lock()
            running = false
            condition.unlock()
        }
        connection = nil
        finished.signal()
    }

    /// The next job of this worker's queue, else one stolen from a stalled worker; nil
    /// once stopping with nothing queued.
    private func next() -> Job? {
        while true {
            condition.lock()
            if head < jobs.count {
                let job = take()
                start()
                condition.unlock()
                return job
            }
            if stopping {
                condition.unlock()
                return nil
            }
            let signalled = condition.wait(until: Date(timeIntervalSinceNow: Self.stealInterval))
            let woken = signalled || head < jobs.count || stopping
            condition.unlock()
            if woken { continue }
            if let job = steal?() {
                condition.lock()
                start()
                condition.unlock()
                return job
            }
        }
    }

    /// Under the lock: marks a job as running from now.
    private func start() {
        running = true
        runningSince = DispatchTime.now().uptimeNanoseconds
    }

    /// Under the lock: removes and returns the oldest queued job.
    private func take() -> Job {
        let job = jobs[head]
        head += 1
        if head == jobs.count {
            jobs.removeAll(keepingCapacity: true)
            head = 0
        }
        return job
    }
}
