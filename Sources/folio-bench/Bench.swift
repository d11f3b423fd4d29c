import ArgumentParser
import FolioClient
import FolioWire
import Foundation
import NIOConcurrencyHelpers

@main
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "folio-bench",
        abstract: "Load generator for foliod: measures request rates and latencies over the real socket.",
        subcommands: [Ping.self, Invoices.self, Tenants.self])
}

/// Options every scenario takes.
struct LoadOptions: ParsableArguments {
    @Option(help: "Unix socket of foliod (default $FOLIO_SOCKET or /run/folio/folio.sock).")
    var socket: String = ProcessInfo.processInfo.environment["FOLIO_SOCKET"] ?? FolioConnection.defaultSocketPath

    @Option(help: "Concurrent connections, one thread each.")
    var connections: Int = 8

    @Option(help: "Seconds to measure, after the warm-up.")
    var seconds: Double = 10

    @Option(help: "Seconds of load before the measured window (plans made, caches filled).")
    var warmup: Double = 1

    @Option(help: "Requests in flight per connection (pipelining depth).")
    var pipeline: Int = 1
}

struct Ping: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "system.ping round trips.")
    @OptionGroup var load: LoadOptions

    func run() throws {
        let request = JSONWriter.bytes(RPCRequest(id: .number("1"), method: "system.ping").json)
        let report = try LoadRun(load: load, name: "system.ping").run { _ in
            let connection = try FolioConnection(socketPath: load.socket)
            return {
                for _ in 0..<load.pipeline { try connection.sendFrame(request) }
                for _ in 0..<load.pipeline { _ = try connection.receiveFrame() }
                return load.pipeline
            }
        }
        print(report)
    }
}

struct Invoices: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Issuing a 3-line invoice, each request on a random one of the bench tenants.")

    /// How an invoice gets issued.
    enum Flow: String, ExpressibleByArgument, CaseIterable {
        /// `invoice.create` of a draft, then `invoice.issue`: two round trips.
        case twoCall = "two-call"
        /// One `invoice.create` with `"issue": true`.
        case oneCall = "one-call"
    }

    @OptionGroup var load: LoadOptions

    @Option(help: "Tenants to spread the load over (created as <prefix>1...<prefix>N when missing).")
    var tenants: Int = 1

    @Option(help: "Slug prefix of the bench tenants.")
    var prefix: String = "bench_"

    @Option(help: "two-call (invoice.create, then invoice.issue) or one-call (invoice.create with \"issue\": true).")
    var flow: Flow = .twoCall

    static let lines: JSON = [
        ["description": "Consulting", "qty": "7.5", "unit_price": "120.00", "tax_rate": "VAT20"],
        ["description": "Travel", "qty": "1", "unit_price": "89.90", "tax_rate": "VAT20"],
        ["description": "Licence", "qty": "3", "unit_price": "19.99"],
    ]

    func validate() throws {
        guard tenants >= 1 else { throw ValidationError("--tenants must be at least 1") }
    }

    func run() throws {
        let targets = try BenchTenants(socket: load.socket, prefix: prefix, count: tenants)
            .prepare(connections: load.connections)
        let flow = self.flow
        let name = "issue a 3-line invoice (\(flow.rawValue)), \(tenants) tenant(s), random tenant per request"

        // One invoice first: a flow the server refuses is reported once, clearly, not
        // as a load of identical errors.
        let probe = try FolioConnection(socketPath: load.socket)
        do {
            try Self.issue(flow, on: probe, tenant: targets[0].slug, customer: targets[0].customer)
        } catch let error as RPCError {
            print(name)
            print("  not supported by this server: \(error)")
            print(LoadRun.summary(rate: 0, p50: nil, p99: nil, errors: 1, firstError: error.description))
            throw ExitCode(3)
        }

        let report = try LoadRun(load: load, name: name).run { _ in
            let connection = try FolioConnection(socketPath: load.socket)
            return {
                let target = targets.randomElement()!
                try Self.issue(flow, on: connection, tenant: target.slug, customer: target.customer)
                return 1
            }
        }
        print(report)
    }

    /// Issues one invoice the way `flow` says.
    static func issue(_ flow: Flow, on connection: FolioConnection, tenant: String, customer: Int64) throws {
        var params: JSONObject = ["tenant": .string(tenant), "customer_id": JSON(customer), "lines": lines]
        switch flow {
        case .twoCall:
            let draft = try connection.call("invoice.create", params)
            _ = try connection.call("invoice.issue", ["tenant": .string(tenant), "id": draft["id"] ?? .null])
        case .oneCall:
            params["issue"] = true
            _ = try connection.call("invoice.create", params)
        }
    }
}

struct Tenants: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create the bench tenants <prefix>1...<prefix>N one after another, timing tenant.create.",
        discussion: "Tenants that already exist are counted and left alone, so re-running is harmless.")

    @Option(help: "Unix socket of foliod (default $FOLIO_SOCKET or /run/folio/folio.sock).")
    var socket: String = ProcessInfo.processInfo.environment["FOLIO_SOCKET"] ?? FolioConnection.defaultSocketPath

    @Option(help: "How many tenants.")
    var count: Int = 1000

    @Option(help: "Slug prefix of the bench tenants.")
    var prefix: String = "bench_"

    func run() throws {
        let connection = try FolioConnection(socketPath: socket)
        var timings: [Double] = []
        var existing = 0
        let start = Date()
        for n in 1...count {
            let t0 = Date()
            do {
                _ = try BenchTenants.create(on: connection, slug: "\(prefix)\(n)", n: n)
                timings.append(Date().timeIntervalSince(t0) * 1000)
            } catch let error as RPCError where error.code == ErrorCode.conflict {
                existing += 1
            }
        }
        let total = Date().timeIntervalSince(start)
        timings.sort()
        func ms(_ p: Double) -> String {
            timings.isEmpty ? "-" : String(format: "%.1f", timings[min(timings.count - 1, Int(Double(timings.count) * p))])
        }
        print("tenant.create over RPC: \(timings.count) created, \(existing) already there")
        print("  median \(ms(0.5)) ms, p95 \(ms(0.95)) ms, max \(ms(1.0)) ms, \(String(format: "%.1f", total)) s in all")
        print("summary created=\(timings.count) existing=\(existing) median_ms=\(ms(0.5)) p95_ms=\(ms(0.95)) total_s=\(String(format: "%.1f", total))")
    }
}

/// The bench tenants `<prefix>1...<prefix>N`, each with tax rate VAT20 and one customer.
struct BenchTenants {
    let socket: String
    let prefix: String
    let count: Int

    /// A tenant and the customer its invoices go to.
    struct Target: Sendable {
        var slug: String
        var customer: Int64
    }

    /// Creates one tenant (throws the server's conflict error when it exists).
    static func create(on connection: FolioConnection, slug: String, n: Int) throws -> JSON {
        try connection.call("tenant.create", ["tenant": .string(slug), "name": .string("Bench \(n)"), "currency": "EUR"])
    }

    /// Makes sure every tenant exists with its tax rate and a customer, using up to
    /// `connections` connections at once (a thousand tenants take a while one by one).
    func prepare(connections: Int) throws -> [Target] {
        let targets = NIOLockedValueBox([Target?](repeating: nil, count: count))
        let failure = NIOLockedValueBox<Error?>(nil)
        let next = NIOLockedValueBox(0)
        let group = DispatchGroup()
        for _ in 0..<max(1, min(connections, count)) {
            group.enter()
            Thread {
                defer { group.leave() }
                do {
                    let connection = try FolioConnection(socketPath: socket)
                    while true {
                        let n = next.withLockedValue { value -> Int in value += 1; return value }
                        if n > count || failure.withLockedValue({ $0 != nil }) { break }
                        let target = try prepare(n, on: connection)
                        targets.withLockedValue { $0[n - 1] = target }
                    }
                } catch {
                    failure.withLockedValue { $0 = $0 ?? error }
                }
            }.start()
        }
        group.wait()
        if let error = failure.withLockedValue({ $0 }) { throw error }
        return targets.withLockedValue { $0.map { $0! } }
    }

    private func prepare(_ n: Int, on connection: FolioConnection) throws -> Target {
        let slug = "\(prefix)\(n)"
        let tenant: JSON = .string(slug)
        do { _ = try Self.create(on: connection, slug: slug, n: n) } catch let error as RPCError where error.code == ErrorCode.conflict {}
        do {
            _ = try connection.call("tax_rate.create", ["tenant": tenant, "code": "VAT20", "name": "VAT 20%", "percent": "20"])
        } catch let error as RPCError where error.code == ErrorCode.conflict {}
        let first = try connection.call("customer.list", ["tenant": tenant, "limit": 1])
        if let id = first["items"]?.arrayValue?.first?["id"]?.int64Value {
            return Target(slug: slug, customer: id)
        }
        let customer = try connection.call("customer.create", ["tenant": tenant, "name": "Bench Customer"])
        guard let id = customer["id"]?.int64Value else { throw ValidationError("customer.create returned no id for \(slug)") }
        return Target(slug: slug, customer: id)
    }
}
