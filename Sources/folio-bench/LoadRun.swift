import Foundation
import NIOConcurrencyHelpers

/// Drives `connections` threads, each repeating one operation, and reports the rate
/// and latency percentiles over the measured window (the first second is warm-up).
struct LoadRun {
    let load: LoadOptions
    let name: String

    /// `makeWorker` opens a worker's connection and returns its operation, which returns
    /// how many requests it completed.
    func run(_ makeWorker: @escaping @Sendable (Int) throws -> () throws -> Int) throws -> String {
        let warmUp = 1.0
        let start = Date()
        let measureFrom = start.addingTimeInterval(warmUp)
        let end = measureFrom.addingTimeInterval(load.seconds)
        let results = NIOLockedValueBox<(count: Int, latencies: [Double], errors: [String])>((0, [], []))
        let group = DispatchGroup()
        for worker in 0..<load.connections {
            group.enter()
            Thread {
                defer { group.leave() }
                do {
                    let operation = try makeWorker(worker)
                    var count = 0
                    var latencies: [Double] = []
                    while true {
                        let t0 = Date()
                        if t0 >= end { break }
                        let done = try operation()
                        if t0 >= measureFrom {
                            count += done
                            latencies.append(Date().timeIntervalSince(t0))
                        }
                    }
                    results.withLockedValue {
                        $0.count += count
                        $0.latencies += latencies
                    }
                } catch {
                    results.withLockedValue { $0.errors.append("\(error)") }
                }
            }.start()
        }
        group.wait()
        let (count, latencies, errors) = results.withLockedValue { $0 }
        let sorted = latencies.sorted()
        func percentile(_ p: Double) -> String {
            guard !sorted.isEmpty else { return "-" }
            let value = sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))]
            return String(format: "%.3f ms", value * 1000)
        }
        var lines = [
            name,
            "  connections \(load.connections), pipeline \(load.pipeline), \(load.seconds) s measured",
            "  \(count) operations, \(String(format: "%.0f", Double(count) / load.seconds))/s",
            "  latency per round: p50 \(percentile(0.5)), p99 \(percentile(0.99)), max \(percentile(1.0))",
        ]
        if !errors.isEmpty { lines.append("  errors: \(errors.count), first: \(errors[0])") }
        return lines.joined(separator: "\n")
    }
}
