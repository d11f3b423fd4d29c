import FolioClient
import FolioWire
import Foundation
import Testing

/// Deadlines and caps, on a server started with small limits.
@Suite(.timeLimit(.minutes(5))) struct ConnectionLimitTests {
    static let server = try! ServerProcess(arguments: [
        "--frame-deadline", "1", "--idle-timeout", "2", "--max-connections-per-uid", "3", "--max-frame-bytes", "4096",
    ])

    @Test func trickledFrameMissingItsDeadlineIsClosed() throws {
        let client = try Self.server.connect()
        let frame = Frame.encode(JSONWriter.bytes(["jsonrpc": "2.0", "id": 1, "method": "system.ping"]))
        // Bytes keep arriving (so the idle timer never fires) but the frame never completes in time.
        let started = Date()
        for byte in frame.dropLast() {
            guard (try? client.sendRaw([byte])) != nil else { break }  // closed by the server
            usleep(60_000)
            if Date().timeIntervalSince(started) > 1.5 { break }
        }
        let response = try client.receiveJSON()
        #expect(response["error"]?["data"]?["reason"] == "frame_deadline")
        #expect(client.waitForClose(timeoutMilliseconds: 3000))
    }

    @Test func idleConnectionIsClosed() throws {
        let client = try Self.server.connect()
        #expect(try client.call("system.ping")["pong"] == .bool(true))
        #expect(client.waitForClose(timeoutMilliseconds: 6000))
    }

    @Test func frameLimitIsConfigurable() throws {
        let client = try Self.server.connect()
        try client.sendFrame(Array(repeating: UInt8(ascii: " "), count: 5000))
        #expect(try client.receiveJSON()["error"]?["data"]?["reason"] == "frame_too_large")
        #expect(client.waitForClose(timeoutMilliseconds: 3000))
    }

    @Test func connectionsPerUIDAreCapped() throws {
        // Separate uid so other tests of this suite do not count against the cap.
        let uid: UInt32 = 42_424
        let script = """
            import socket, struct, json, sys
            socks = []
            for i in range(4):
                s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); socks.append(s)
            def call(s):
                b = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "system.ping"}).encode()
                try:
                    s.sendall(struct.pack(">I", len(b)) + b)
                except OSError:
                    pass  # refused connections are closed after their error frame
                h = s.recv(4)
                if len(h) < 4: return "closed"
                n = struct.unpack(">I", h)[0]; d = b""
                while len(d) < n: d += s.recv(n - len(d))
                r = json.loads(d)
                return "ok" if "result" in r else str(r["error"]["code"])
            print(" ".join(call(s) for s in socks))
            """
        let result = try ProcessRunner.run("/usr/bin/python3", ["-c", script, Self.server.socketPath], uid: uid)
        #expect(result.status == 0, "\(result.stderr)")
        // Which of the four is refused depends on accept order; exactly one is.
        #expect(result.stdout.split(separator: " ").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.sorted()
            == ["-32010", "ok", "ok", "ok"])
    }
}
