import FolioClient
import FolioPostgres
import FolioWire
import Foundation
import Testing

/// `foliod serve`'s limits: nonsense values stop it before it listens, naming the option;
/// values at the bounds are accepted; and non-default limits take effect.
@Suite(.timeLimit(.minutes(5))) struct ServerOptionsTests {
    /// Runs `foliod serve` with `arguments` for at most 10 seconds: its exit status (124:
    /// still running then, i.e. it started), its output, and the socket path it was given.
    private func startup(_ arguments: [String]) throws -> (status: Int32, output: String, socket: String) {
        let socket = TestEnvironment.scratchDirectory() + "/folio.sock"
        let result = try ProcessRunner.run("/usr/bin/timeout", ["10", TestEnvironment.foliod, "serve", "--socket", socket,
                                                               "--database", TestEnvironment.database,
                                                               "--schema-dir", TestEnvironment.schemaDirectory] + arguments)
        return (result.status, result.stdout + result.stderr, socket)
    }

    static let refused: [([String], String)] = [
        (["--max-in-flight", "0"], "--max-in-flight must be at least 1"),
        (["--max-in-flight=-2"], "--max-in-flight must be at least 1"),
        (["--max-unsent-bytes", "100"], "--max-unsent-bytes must be at least 4096"),
        (["--max-unsent-bytes=-1"], "--max-unsent-bytes must be at least 4096"),
        (["--pool-share", "0"], "--pool-share must be at least 1"),
        (["--pool-share=-3"], "--pool-share must be at least 1"),
        (["--pool-share", "9"], "--pool-share (9) must not exceed --pool-size (8)"),
        (["--pool-size", "2", "--pool-share", "3"], "--pool-share (3) must not exceed --pool-size (2)"),
        (["--pool-size", "0"], "--pool-size must be at least 1"),
        (["--tenants-per-connection", "0"], "--tenants-per-connection must be at least 1"),
        (["--warm-tenants=-1"], "--warm-tenants must not be negative"),
        (["--warm-tenants", "121"], "--warm-tenants (121) must not exceed --tenants-per-connection (120)"),
        (["--tenants-per-connection", "3", "--warm-tenants", "4"], "--warm-tenants (4) must not exceed --tenants-per-connection (3)"),
        (["--max-frame-bytes", "63"], "--max-frame-bytes must be at least 64"),
        (["--max-frame-bytes", "4294967296"], "--max-frame-bytes must be at most 4294967295"),
        (["--idle-timeout", "0"], "--idle-timeout must be at least 1"),
        (["--idle-timeout=-5"], "--idle-timeout must be at least 1"),
        (["--frame-deadline", "0"], "--frame-deadline must be at least 1"),
        (["--max-connections-per-uid", "0"], "--max-connections-per-uid must be at least 1"),
        (["--statement-timeout", "abc"], "--statement-timeout must be a duration"),
        (["--statement-timeout", "0"], "--statement-timeout must be a duration"),
        (["--statement-timeout", "15 seconds"], "--statement-timeout must be a duration"),
        (["--statement-timeout", "5s'; DROP SCHEMA folio; --"], "--statement-timeout must be a duration"),
        (["--lock-timeout", "30d"], "--lock-timeout must be a duration"),
        (["--lock-timeout", ".5s"], "--lock-timeout must be a duration"),
    ]

    @Test(arguments: refused)
    func nonsenseLimitIsRefusedAtStartup(_ arguments: [String], _ message: String) throws {
        let outcome = try startup(arguments)
        #expect(outcome.status != 0 && outcome.status != 124, "foliod serve \(arguments.joined(separator: " ")) started")
        #expect(outcome.output.contains("Error: \(message)"), "\(outcome.output)")
        #expect(!outcome.output.contains("foliod listening"), "\(outcome.output)")
        #expect(!FileManager.default.fileExists(atPath: outcome.socket))
    }

    /// The values at the bounds are limits, not nonsense: such a server serves, and
    /// PostgreSQL takes its timeouts (they are set on every pooled connection): a request
    /// waiting for a lock gives up after 800 ms, not the default 5 s.
    @Test func limitsAtTheirBoundsAreAccepted() throws {
        let server = try ServerProcess(arguments: [
            "--pool-size", "2", "--pool-share", "2", "--max-in-flight", "1", "--max-unsent-bytes", "4096",
            "--tenants-per-connection", "3", "--warm-tenants", "3", "--max-frame-bytes", "4294967295",
            "--statement-timeout", "1.5min", "--lock-timeout", "800ms",
        ])
        defer { server.stop() }
        let inv = Invoicing(client: try server.connect(), tenant: try server.makeTenant("bounds"))
        let customer = try inv.customer("Bound Ltd")
        #expect(try inv.call("customer.get", ["id": JSON(customer)])["name"] == "Bound Ltd")
        let db = try Database.superuser()
        try db.execute("BEGIN")
        try db.execute("LOCK TABLE \"t_\(inv.tenant)\".customers IN ACCESS EXCLUSIVE MODE")
        let started = Date()
        expectError(ErrorCode.busy) { try inv.call("customer.get", ["id": JSON(customer)]) }
        let waited = Date().timeIntervalSince(started)
        try db.execute("COMMIT")
        #expect(waited >= 0.7 && waited < 4, "waited \(waited) s")
    }

    // MARK: - Non-default limits take effect

    /// Servers whose requests wait for a lock long enough to watch them: one with
    /// `--max-in-flight 2` and `--max-frame-bytes 300`, one with the default limits. No
    /// spare schemas: building them would hold pool workers the requests are counted on.
    static let quiet = ["--lock-timeout", "60s", "--statement-timeout", "90s", "--spare-tenants", "0"]
    static let limited = try! ServerProcess(arguments: quiet + ["--max-in-flight", "2", "--max-frame-bytes", "300"])
    static let defaults = try! ServerProcess(arguments: quiet)

    /// Pipelines six `customer.get` and a `system.ping` on one connection while the tenant's
    /// customers table is locked from another session. Returns how many requests were
    /// waiting for that lock, ten times over a second once `expectWaiting` first were, and
    /// the ids in the order the answers arrived (with the defaults the ping's comes while
    /// the lock is held, the others after it is released).
    private func pipelineBehindALock(_ server: ServerProcess, expectWaiting: Int) throws -> (waiting: [Int], order: [Int64]) {
        let tenant = try server.makeTenant("inflight")
        let inv = Invoicing(client: try server.connect(), tenant: tenant)
        let customer = try inv.customer("Locked Ltd")
        let db = try Database.superuser()
        try db.execute("BEGIN")
        try db.execute("LOCK TABLE \"t_\(tenant)\".customers IN ACCESS EXCLUSIVE MODE")
        let client = try server.connect()
        for id in 1...6 {
            try client.send(RPCRequest(id: .number(String(id)), method: "customer.get",
                                       params: ["tenant": .string(tenant), "id": JSON(customer)]).json)
        }
        try client.send(RPCRequest(id: .number("99"), method: "system.ping", params: [:]).json)
        func waiting() throws -> Int {
            Int(try db.query(PostgresStatement(
                "SELECT count(*) FROM pg_locks WHERE NOT granted AND relation = $1::regclass", ["\"t_\(tenant)\".customers"])).scalar ?? "") ?? -1
        }
        var seen: [Int] = []
        _ = try eventually(20) { try waiting() >= expectWaiting }
        for _ in 0..<10 {
            seen.append(try waiting())
            usleep(100_000)
        }
        // With the defaults the ping overtook the waiting requests; read it while they wait.
        var order: [Int64] = []
        if expectWaiting > 2 { order.append(try client.receiveJSON()["id"]?.int64Value ?? -1) }
        try db.execute("COMMIT")
        while order.count < 7 {
            let response = try client.receiveJSON()
            #expect(response["error"] == nil, "\(response)")
            order.append(response["id"]?.int64Value ?? -1)
        }
        return (seen, order)
    }

    @Test func maxInFlightBoundsWhatOneConnectionHasRunning() throws {
        let (waiting, order) = try pipelineBehindALock(Self.limited, expectWaiting: 2)
        // Two requests read and waiting for the lock; the other four (and the ping) not even read.
        #expect(waiting.allSatisfy { $0 == 2 }, "\(waiting)")
        #expect(Set(order) == [1, 2, 3, 4, 5, 6, 99], "\(order)")
        // The ping is read only once five requests were answered and at most one is in flight.
        #expect((order.firstIndex(of: 99) ?? 0) >= 5, "\(order)")
    }

    /// The same client against the defaults (64 in flight): all six requests wait for the lock
    /// at once, and the ping is answered first, so the test above shows the option's effect.
    @Test func withTheDefaultAllPipelinedRequestsRunAndThePingOvertakes() throws {
        let (waiting, order) = try pipelineBehindALock(Self.defaults, expectWaiting: 6)
        #expect(waiting.allSatisfy { $0 == 6 }, "\(waiting)")
        #expect(order.first == 99, "\(order)")
        #expect(Set(order) == [1, 2, 3, 4, 5, 6, 99], "\(order)")
    }

    /// A ping padded with JSON whitespace to exactly `size` bytes.
    private func paddedPing(_ size: Int, id: Int) -> [UInt8] {
        let body = Array(#"{"jsonrpc":"2.0","id":\#(id),"method":"system.ping"}"#.utf8)
        return Array(repeating: UInt8(ascii: " "), count: size - body.count) + body
    }

    @Test func maxFrameBytesTakesEffect() throws {
        let client = try Self.limited.connect()
        try client.sendFrame(paddedPing(300, id: 1))
        #expect(try client.receiveJSON()["result"]?["pong"] == .bool(true))
        try client.sendFrame(paddedPing(301, id: 2))
        let refused = try client.receiveJSON()
        #expect(refused["error"]?["code"] == JSON(ErrorCode.invalidRequest))
        #expect(refused["error"]?["data"]?["reason"] == "frame_too_large")
        #expect(refused["id"] == .null)
        #expect(client.waitForClose(timeoutMilliseconds: 5000))
        // The default limit (1 MiB) takes the same frame.
        let other = try Self.defaults.connect()
        try other.sendFrame(paddedPing(301, id: 3))
        #expect(try other.receiveJSON()["result"]?["pong"] == .bool(true))
        // The limited server goes on serving other connections.
        #expect(try Self.limited.connect().call("system.ping")["pong"] == .bool(true))
    }
}
