import FolioWire
import Foundation
import NIOConcurrencyHelpers

/// Drives `connections` threads, each repeating one operation, and reports the rate
/// and latency percentiles over the measured window (after `load.warmup` seconds).
///
/// An error the server answers with (`RPCError`) is counted and the worker carries on,
/// so a method the server does not support shows up as errors in the report instead of
/// a crash; a broken connection ends that worker.
struct LoadRun {
    let load: LoadOptions
    let name: String

    /// What one run measured.
    struct Outcome {
        var operations = 0
        var latencies: [Double] = []
        /// Errors by description (code and message), with how often each occurred.
        var errors: [String: Int] = [:]
        var seconds: Double

        var rate: Double { Double(operations) / seconds }
        var errorCount: Int { errors.values.reduce(0, +) }

        /// The latency at quantile `p` (0...1) in milliseconds, if anything was measured.
        func percentile(_ p: Double) -> Double? {
            guard !latencies.isEmpty else { return nil }
            return latencies[min(latencies.count - 1, Int(Double(latencies.count) * p))] * 1000
        }
    }

    /// `makeWorker` opens a worker's connection and returns its operation, which returns
    /// how many requests it completed.
    func run(_ makeWorker: @escaping @Sendable (Int) throws -> () throws -> Int) throws -> String {
        report(measure(makeWorker))
    }

    /// Runs the load and returns the raw outcome (latencies sorted).
    func measure(_ makeWorker: @escaping @Sendable (Int) throws -> () throws -> Int) -> Outcome {
        let start = Date()
        let measureFrom = start.addingTimeInterval(load.warmup)
        let end = measureFrom.addingTimeInterval(load.seconds)
        let results = NIOLockedValueBox(Outcome(seconds: load.seconds))
        let group = DispatchGroup()
        for worker in 0..<load.connections {
            group.enter()
            Thread {
                defer { group.leave() }
                var count = 0
                var latencies: [Double] = []
                var errors: [String: Int] = [:]
                do {
                    let operation = try makeWorker(worker)
                    while true {
                        let t0 = Date()
                        if t0 >= end { break }
                        do {
                            let done = try operation()
                            if t0 >= measureFrom {
                                count += done
                                latencies.append(Date().timeIntervalSince(t0))
                            }
                        } catch let error as RPCError {
                            if t0 >= measureFrom { errors[error.description, default: 0] += 1 }
                        }
                    }
                } catch {
                    errors["\(error)", default: 0] += 1
                }
                results.withLockedValue {
                    $0.operations += count
                    $0.latencies += latencies
                    $0.errors.merge(errors, uniquingKeysWith: +)
                }
            }.start()
        }
        group.wait()
        var outcome = results.withLockedValue { $0 }
        outcome.latencies.sort()
        return outcome
    }

    /// The human-readable report, ending with one `summary` line for scripts.
    func report(_ outcome: Outcome) -> String {
        func ms(_ p: Double) -> String { outcome.percentile(p).map { String(format: "%.3f ms", $0) } ?? "-" }
        var lines = [
            name,
            "  connections \(load.connections), pipeline \(load.pipeline), \(load.seconds) s measured",
            "  \(outcome.operations) operations, \(String(format: "%.0f", outcome.rate))/s",
            "  latency per round: p50 \(ms(0.5)), p99 \(ms(0.99)), max \(ms(1.0))",
        ]
        if outcome.errorCount > 0 {
            lines.append("  errors: \(outcome.errorCount)")
            for (error, count) in outcome.errors.sorted(by: { $0.value > $1.value }).prefix(3) {
                lines.append("    \(count) x \(error)")
            }
        }
        lines.append(Self.summary(rate: outcome.rate, p50: outcome.percentile(0.5), p99: outcome.percentile(0.99),
                                  errors: outcome.errorCount, firstError: outcome.errors.max { $0.value < $1.value }?.key))
        return lines.joined(separator: "\n")
    }

    /// One line `deploy/bench` parses: `summary rate=… p50_ms=… p99_ms=… errors=… [error=…]`.
    static func summary(rate: Double, p50: Double?, p99: Double?, errors: Int, firstError: String? = nil) -> String {
        var line = String(format: "summary rate=%.1f", rate)
        line += " p50_ms=" + (p50.map { String(format: "%.3f", $0) } ?? "-")
        line += " p99_ms=" + (p99.map { String(format: "%.3f", $0) } ?? "-")
        line += " errors=\(errors)"
        if let firstError { line += " error=\(firstError)" }
        return line
    }
}
