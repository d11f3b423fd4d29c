import FolioWire
import Foundation

/// A hostile client in its own process (Python, so its blocking sends and its socket
/// outlive nothing in the test process): pipelines `count` frames of one method on an
/// invoice (`invoice.get` unless told) on one connection, then reads the answers, never
/// reads them, or closes at once.
struct AbusiveClient {
    enum Mode: String {
        /// Reads every answer while it sends.
        case reading = "read"
        /// Never reads; stops sending when the server stops reading, holds the connection.
        case neverReading = "noread"
        /// Sends what the server takes within 3 seconds, then closes.
        case closing = "close"
    }

    private static let script = """
        import socket, struct, json, sys, time, threading
        path, tenant, count, inv, mode, hold = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5], float(sys.argv[6])
        method, extra = sys.argv[7], json.loads(sys.argv[8])
        s = socket.socket(socket.AF_UNIX); s.connect(path)
        frames = b"".join(struct.pack(">I", len(b)) + b for b in (json.dumps(
            {"jsonrpc": "2.0", "id": i, "method": method, "params": dict(extra, tenant=tenant, id=inv)}).encode()
            for i in range(count)))
        if mode == "read":
            def drain():
                try:
                    while s.recv(1 << 16): pass
                except OSError: pass
            threading.Thread(target=drain, daemon=True).start()
        else:
            s.settimeout(3 if mode == "close" else 5)
        try:
            s.sendall(frames)
        except OSError:
            pass  # the server stopped reading (timeout) or closed
        print("sent", flush=True)
        if mode == "close":
            s.close(); sys.exit(0)
        time.sleep(hold)
        """

    let pid: pid_t
    let logPath: String

    /// Starts the client; `hold` is how long it keeps the connection after sending.
    init(socket: String, tenant: String, invoice: Int64, count: Int, mode: Mode, hold: Double = 30,
         method: String = "invoice.get", params: JSONObject = [:]) throws {
        logPath = TestEnvironment.scratchDirectory() + "/abuse.log"
        pid = try ProcessRunner.start(["/usr/bin/python3", "-c", Self.script, socket, tenant, String(count), String(invoice),
                                       mode.rawValue, String(hold), method, JSONWriter.string(.object(params))], logPath: logPath)
    }

    /// Whether the client has sent all it could (the server took it, or stopped reading).
    var hasSent: Bool { ((try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "").contains("sent") }

    func waitUntilSent(timeout: TimeInterval = 60) {
        let deadline = Date().addingTimeInterval(timeout)
        while !hasSent, Date() < deadline { usleep(20_000) }
    }

    /// Ends the client and waits for it.
    func stop() {
        kill(pid, SIGKILL)
        _ = ProcessRunner.wait(pid)
    }
}

/// Resident memory of a process in bytes (VmRSS from /proc).
func residentBytes(of pid: pid_t) -> Int {
    let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
    let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
    return (Int(line.split(separator: " ").dropFirst().first ?? "0") ?? 0) * 1024
}

/// The latencies of `count` calls made one after the other, in seconds, sorted.
func latencies(_ count: Int, _ call: () throws -> Void) rethrows -> [Double] {
    var times: [Double] = []
    for _ in 0..<count {
        let started = Date()
        try call()
        times.append(Date().timeIntervalSince(started))
    }
    return times.sorted()
}

extension Array where Element == Double {
    /// The `fraction` percentile of sorted values (0.5: the median).
    func percentile(_ fraction: Double) -> Double { self[Swift.max(0, Swift.min(count - 1, Int((Double(count) * fraction).rounded(.up)) - 1))] }

    /// Whether calls were served promptly: starvation makes every call slow (16 s before the
    /// fair queues), while a loaded test machine makes a few slow. So the median is held to
    /// a tight bound and the 90th percentile to a loose one; the slowest calls are not judged.
    var arePrompt: Bool { percentile(0.5) < 0.5 && percentile(0.9) < 2.0 }

    /// The median and 90th percentile, for messages.
    var summary: String { "median \(percentile(0.5)) s, p90 \(percentile(0.9)) s, max \(last ?? 0) s" }
}
