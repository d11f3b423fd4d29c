import FolioClient
import FolioWire
import Foundation
import Testing

/// SIGTERM: stop accepting, finish what is in flight, answer it, exit cleanly.
@Suite(.timeLimit(.minutes(5))) struct ShutdownTests {
    @Test func sigtermDrainsInFlightRequests() throws {
        let server = try ServerProcess()
        let tenant = try server.makeTenant("drain")
        let client = try server.connect()
        let db = try Database.superuser()
        try db.execute("BEGIN")
        try db.execute("SELECT 1 FROM t_\(tenant).settings FOR UPDATE")
        try client.send(RPCRequest(id: .number("1"), method: "tenant.update",
                                   params: ["tenant": .string(tenant), "payment_terms_days": 21]).json)
        usleep(300_000)  // the update is now waiting for the row lock

        kill(server.pid, SIGTERM)
        // New connections are refused while the old request is still being worked on.
        var refused = false
        for _ in 0..<50 where !refused {
            refused = (try? FolioConnection(socketPath: server.socketPath)) == nil
            if !refused { usleep(50_000) }
        }
        #expect(refused)

        try db.execute("COMMIT")
        let response = try client.receiveJSON()
        #expect(response["id"] == 1)
        #expect(response["result"]?["payment_terms_days"] == 21)
        #expect(server.stop(signal: 0) == 0)  // already terminating: wait for its clean exit
        let settings = try Database.column(db, "SELECT payment_terms_days::text FROM t_\(tenant).settings")
        #expect(settings == ["21"])
    }
}
