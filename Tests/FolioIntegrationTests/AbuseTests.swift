import FolioClient
import FolioWire
import Foundation
import Testing

/// One client cannot starve the others or grow the server's memory: floods of pipelined
/// requests, floods abandoned at once, clients that never read, and a bad frame after
/// requests still owed their answers. One server of its own, tests one after another
/// (each measures latency or memory).
@Suite(.serialized, .timeLimit(.minutes(5))) struct AbuseTests {
    static let server = try! ServerProcess(arguments: ["--frame-deadline", "2"])

    /// A tenant with an invoice of `lines` lines; returns the tenant and the invoice id.
    private func tenantWithInvoice(lines: Int = 3) throws -> (String, Int64) {
        let tenant = try Self.server.makeTenant("ab")
        let books = Invoicing(client: try Self.server.connect(), tenant: tenant)
        let customer = try books.customer()
        let draft = try books.draft(customer: customer, (1...lines).map { ("Line \($0) of a long enough description", "1", "10.00", nil) })
        return (tenant, draft["id"]!.int64Value!)
    }

    /// Another tenant's customer.get, timed.
    private func otherTenantLatencies(_ count: Int = 40) throws -> [Double] {
        let tenant = try Self.server.makeTenant("ok")
        let books = Invoicing(client: try Self.server.connect(), tenant: tenant)
        let customer = try books.customer()
        return try latencies(count) { _ = try books.call("customer.get", ["id": JSON(customer)]) }
    }

    @Test func pipelinedFloodDoesNotStarveAnotherTenant() throws {
        let (tenant, invoice) = try tenantWithInvoice()
        let baseline = try otherTenantLatencies(20)
        let flood = try AbusiveClient(socket: Self.server.socketPath, tenant: tenant, invoice: invoice, count: 20_000, mode: .reading)
        defer { flood.stop() }
        usleep(500_000)  // the flood is under way
        let during = try otherTenantLatencies()
        #expect(!flood.hasSent, "the flood ended before the measurement; it proves nothing")
        // Before: 16 s per call in a release build.
        #expect(during.arePrompt, "during the flood: \(during.summary); before: \(baseline.summary)")
    }

    @Test func abandonedFloodIsDropped() throws {
        let (tenant, invoice) = try tenantWithInvoice(lines: 40)
        let floods = try (0..<3).map { _ in
            // Rendering is slower than reading, so requests pile up before the close.
            try AbusiveClient(socket: Self.server.socketPath, tenant: tenant, invoice: invoice, count: 30_000, mode: .closing,
                              method: "invoice.render", params: ["format": "html"])
        }
        floods.forEach { $0.waitUntilSent() }
        floods.forEach { $0.stop() }
        // Before: the 90,000 requests ran on after their clients had gone (52 s for three of 10,000 in the report).
        let after = try otherTenantLatencies()
        #expect(after.arePrompt, "after three abandoned floods: \(after.summary)")
    }

    @Test func neverReadingClientsKeepMemoryBounded() throws {
        let (tenant, invoice) = try tenantWithInvoice(lines: 40)
        _ = try Self.server.connect().call("system.ping")
        let before = residentBytes(of: Self.server.pid)
        let clients = try (0..<3).map { _ in
            try AbusiveClient(socket: Self.server.socketPath, tenant: tenant, invoice: invoice, count: 30_000,
                              mode: .neverReading, hold: 60)
        }
        defer { clients.forEach { $0.stop() } }
        var peak = before
        for _ in 0..<40 {  // 8 s: the server would have answered thousands by now
            usleep(200_000)
            peak = max(peak, residentBytes(of: Self.server.pid))
        }
        // Each answer is ~8 KB: before, 90,000 of them piled up in memory (113 -> 368 MB).
        #expect(peak - before < 64 << 20, "RSS grew from \(before >> 20) MB to \(peak >> 20) MB")
        // The server still answers others promptly.
        let others = try otherTenantLatencies(10)
        #expect(others.arePrompt, "while three clients never read: \(others.summary)")
    }

    @Test func answersOwedBeforeAnOversizeFrameAreSent() throws {
        let tenant = try Self.server.makeTenant("ov")
        let client = try Self.server.connect()
        let create = JSONWriter.bytes(["jsonrpc": "2.0", "id": 7, "method": "customer.create",
                                       "params": ["tenant": .string(tenant), "name": "Owed"]])
        var bytes = Frame.encode(create)
        let oversize = UInt32(Frame.defaultMaximumRequestBytes + 1)
        bytes += [UInt8(oversize >> 24), UInt8(oversize >> 16 & 0xFF), UInt8(oversize >> 8 & 0xFF), UInt8(oversize & 0xFF)]
        try client.sendRaw(bytes)
        let first = try client.receiveJSON()
        #expect(first["id"] == 7)
        #expect(first["result"]?["name"] == "Owed")
        let second = try client.receiveJSON()
        #expect(second["error"]?["data"]?["reason"] == "frame_too_large")
        #expect(client.waitForClose(timeoutMilliseconds: 3000))
    }

    /// 300 connections from 5 uids, each trickling a frame that never completes: every one
    /// is answered `frame_deadline` and closed on time, and pings meanwhile stay fast.
    @Test func threeHundredTricklingConnectionsAreClosedAtTheDeadline() throws {
        let script = """
            import socket, struct, json, sys, time
            socks = []
            for i in range(60):
                s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.setblocking(False); socks.append(s)
            frame = struct.pack(">I", 100) + b'{"jsonrpc":"2.0","id":1,"method":"system.ping"}'
            answered, started = set(), time.time()
            for k in range(len(frame)):
                for i, s in enumerate(socks):
                    if i in answered: continue
                    try: s.send(frame[k:k + 1])
                    except OSError: pass
                    try:
                        if b"frame_deadline" in s.recv(4096): answered.add(i)
                    except BlockingIOError: pass
                    except OSError: answered.add(i)
                if len(answered) == len(socks) or time.time() - started > 6: break
                time.sleep(0.1)
            print(len(answered), round(time.time() - started, 1))
            """
        let logs = (0..<5).map { _ in TestEnvironment.scratchDirectory() + "/trickle.log" }
        let pids = try (0..<5).map { n in
            try ProcessRunner.start(["/usr/bin/setpriv", "--reuid=\(43_001 + n)", "--regid=\(43_001 + n)", "--clear-groups", "--",
                                     "/usr/bin/python3", "-c", script, Self.server.socketPath], logPath: logs[n])
        }
        let client = try Self.server.connect()
        let pings = try latencies(30) {
            _ = try client.call("system.ping")
            usleep(50_000)
        }
        let statuses = pids.map { ProcessRunner.wait($0) }
        #expect(statuses.allSatisfy { $0 == 0 })
        for log in logs {
            // "<connections answered frame_deadline> <seconds until the last one>"
            let words = ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").split(separator: " ")
            #expect(words.first == "60", "\(words)")
            #expect((Double(words.last?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "") ?? 99) < 4.5, "\(words)")
        }
        let served = pings.map { $0 - 0.05 }.sorted()   // the 50 ms sleeps excluded
        #expect(served.arePrompt, "pings while the trickling clients wait: \(served.summary)")
    }
}
