import ArgumentParser
import FolioClient
import FolioWire
import Foundation

@main
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "folio-bench",
        abstract: "Load generator for foliod: measures request rates and latencies over the real socket.",
        subcommands: [Ping.self, Invoices.self])
}

/// Options every scenario takes.
struct LoadOptions: ParsableArguments {
    @Option(help: "Unix socket of foliod (default $FOLIO_SOCKET or /run/folio/folio.sock).")
    var socket: String = ProcessInfo.processInfo.environment["FOLIO_SOCKET"] ?? FolioConnection.defaultSocketPath

    @Option(help: "Concurrent connections, one thread each.")
    var connections: Int = 8

    @Option(help: "Seconds to run (after one second of warm-up).")
    var seconds: Double = 10

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
        abstract: "invoice.create of a 3-line invoice then invoice.issue, spread over tenants.")
    @OptionGroup var load: LoadOptions

    @Option(help: "Tenants to spread the load over (created as bench_1...bench_N when missing).")
    var tenants: Int = 1

    func run() throws {
        let admin = try FolioConnection(socketPath: load.socket)
        var customers: [(String, Int64)] = []
        for n in 1...tenants {
            let slug = "bench_\(n)"
            _ = try? admin.call("tenant.create", ["tenant": .string(slug), "name": .string("Bench \(n)"), "currency": "EUR"])
            _ = try? admin.call("tax_rate.create", ["tenant": .string(slug), "code": "VAT20", "name": "VAT 20%", "percent": "20"])
            let customer = try admin.call("customer.create", ["tenant": .string(slug), "name": "Bench Customer"])
            customers.append((slug, customer["id"]!.int64Value!))
        }
        let targets = customers
        let lines: JSON = [
            ["description": "Consulting", "qty": "7.5", "unit_price": "120.00", "tax_rate": "VAT20"],
            ["description": "Travel", "qty": "1", "unit_price": "89.90", "tax_rate": "VAT20"],
            ["description": "Licence", "qty": "3", "unit_price": "19.99"],
        ]
        let report = try LoadRun(load: load, name: "create+issue (3 lines), \(tenants) tenant(s)").run { worker in
            let connection = try FolioConnection(socketPath: load.socket)
            var turn = worker
            return {
                let (tenant, customer) = targets[turn % targets.count]
                turn += 1
                let draft = try connection.call("invoice.create", ["tenant": .string(tenant), "customer_id": JSON(customer), "lines": lines])
                _ = try connection.call("invoice.issue", ["tenant": .string(tenant), "id": draft["id"]!])
                return 1
            }
        }
        print(report)
    }
}
