import FolioClient
import FolioWire
import Foundation
import Testing

/// Framing and envelope rules of the contract, over a real socket to a real foliod.
@Suite(.timeLimit(.minutes(5))) struct ProtocolTests {
    let server = ServerProcess.shared

    private func request(_ id: Int, _ method: String, _ params: JSONObject = [:]) -> JSON {
        RPCRequest(id: .number(String(id)), method: method, params: params).json
    }

    @Test func pingAnswersPongAndVersion() throws {
        let result = try server.connect().call("system.ping")
        #expect(result["pong"] == .bool(true))
        #expect(result["version"]?.stringValue?.isEmpty == false)
        #expect(result["contract"] == "1.1")
    }

    @Test func oversizeFrameIsAnsweredThenClosed() throws {
        let client = try server.connect()
        try client.sendRaw(Frame.header(2 << 20))
        let response = try client.receiveJSON()
        #expect(response["id"] == .null)
        #expect(response["error"]?["code"] == JSON(ErrorCode.invalidRequest))
        #expect(response["error"]?["data"]?["reason"] == "frame_too_large")
        #expect(client.waitForClose(timeoutMilliseconds: 5000))
        // The server keeps serving others.
        #expect(try server.connect().call("system.ping")["pong"] == .bool(true))
    }

    @Test func zeroLengthFrameIsAnsweredAndConnectionStaysOpen() throws {
        let client = try server.connect()
        try client.sendRaw(Frame.header(0))
        let response = try client.receiveJSON()
        #expect(response["error"]?["code"] == JSON(ErrorCode.invalidRequest))
        #expect(response["id"] == .null)
        #expect(try client.call("system.ping")["pong"] == .bool(true))
    }

    @Test func parseErrorKeepsConnectionOpen() throws {
        let client = try server.connect()
        try client.sendFrame(Array("{not json".utf8))
        #expect(try client.receiveJSON()["error"]?["code"] == JSON(ErrorCode.parseError))
        try client.sendFrame([0x22, 0xFF, 0xFE, 0x22])  // a string of invalid UTF-8
        #expect(try client.receiveJSON()["error"]?["code"] == JSON(ErrorCode.parseError))
        #expect(try client.call("system.ping")["pong"] == .bool(true))
    }

    @Test func frameSplitIntoSingleBytesIsReassembled() throws {
        let client = try server.connect()
        let frame = Frame.encode(JSONWriter.bytes(request(41, "system.ping")))
        for byte in frame { try client.sendRaw([byte]) }
        let response = try client.receiveJSON()
        #expect(response["id"] == 41)
        #expect(response["result"]?["pong"] == .bool(true))
    }

    @Test func severalFramesInOneWriteAreAllAnswered() throws {
        let client = try server.connect()
        var bytes: [UInt8] = []
        for id in 1...20 { bytes += Frame.encode(JSONWriter.bytes(request(id, "system.ping"))) }
        try client.sendRaw(bytes)
        var ids = Set<Int64>()
        for _ in 1...20 { ids.insert(try client.receiveJSON()["id"]!.int64Value!) }
        #expect(ids == Set(1...20))
    }

    @Test func invalidRequestsEchoValidIdsOnly() throws {
        let client = try server.connect()
        try client.send(["jsonrpc": "1.0", "id": 5, "method": "system.ping"])
        var response = try client.receiveJSON()
        #expect(response["id"] == 5)
        #expect(response["error"]?["code"] == JSON(ErrorCode.invalidRequest))
        try client.send(["jsonrpc": "2.0", "id": ["x"], "method": "system.ping"])
        response = try client.receiveJSON()
        #expect(response["id"] == .null)
        #expect(response["error"]?["code"] == JSON(ErrorCode.invalidRequest))
        try client.send(["jsonrpc": "2.0", "id": "abc", "method": "system.ping", "params": [1]])
        response = try client.receiveJSON()
        #expect(response["id"] == "abc")
        #expect(response["error"]?["code"] == JSON(ErrorCode.invalidRequest))
        try client.send(42)
        #expect(try client.receiveJSON()["error"]?["code"] == JSON(ErrorCode.invalidRequest))
    }

    @Test func unknownMethodAndUnknownField() throws {
        let client = try server.connect()
        #expect(throws: RPCError.self) { try client.call("no.such_method") }
        do {
            _ = try client.call("system.ping", ["extra": 1])
            Issue.record("unknown field accepted")
        } catch let error as RPCError {
            #expect(error.code == ErrorCode.invalidParams)
            #expect(error.field == "extra")
            #expect(error.retryable == false)
        }
    }

    @Test func batchAnswersEachElementAndOmitsNotifications() throws {
        let client = try server.connect()
        let batch: JSON = [
            request(1, "system.ping"),
            ["jsonrpc": "2.0", "method": "system.ping"],  // notification
            request(2, "no.such_method"),
            ["jsonrpc": "2.0", "id": 3],  // no method
            request(4, "system.whoami"),
        ]
        try client.send(batch)
        guard let responses = try client.receiveJSON().arrayValue else {
            Issue.record("batch answer is not an array")
            return
        }
        let byID = Dictionary(uniqueKeysWithValues: responses.map { ($0["id"]!.int64Value!, $0) })
        #expect(responses.count == 4)
        #expect(byID[1]?["result"]?["pong"] == .bool(true))
        #expect(byID[2]?["error"]?["code"] == JSON(ErrorCode.methodNotFound))
        #expect(byID[3]?["error"]?["code"] == JSON(ErrorCode.invalidRequest))
        #expect(byID[4]?["result"]?["uid"] != nil)
    }

    @Test func emptyBatchIsInvalid() throws {
        let client = try server.connect()
        try client.send([])
        let response = try client.receiveJSON()
        #expect(response["error"]?["code"] == JSON(ErrorCode.invalidRequest))
    }

    @Test func notificationsAreNeverAnswered() throws {
        let client = try server.connect()
        try client.send(["jsonrpc": "2.0", "method": "system.ping"])
        try client.send(["jsonrpc": "2.0", "method": "no.such_method"])
        try client.send([["jsonrpc": "2.0", "method": "system.ping"]])
        // The next answer on the wire must be the ping's with id 9.
        #expect(try client.call("system.ping")["pong"] == .bool(true))
    }

    @Test func batchElementsRunInTheirOwnTransactions() throws {
        let tenant = try server.makeTenant("batch")
        let client = try server.connect()
        let batch: JSON = [
            request(1, "customer.create", ["tenant": .string(tenant), "name": "Kept Ltd"]),
            request(2, "customer.update", ["tenant": .string(tenant), "id": 999_999, "name": "No such customer"]),
            request(3, "customer.create", ["tenant": .string(tenant), "name": "Also Kept"]),
        ]
        try client.send(batch)
        let responses = try client.receiveJSON().arrayValue ?? []
        #expect(responses.count == 3)
        let list = try client.call("customer.list", ["tenant": .string(tenant)])
        #expect(list["items"]?.arrayValue?.compactMap { $0["name"]?.stringValue }.sorted() == ["Also Kept", "Kept Ltd"])
    }

    @Test func pipelinedResponsesMayOvertakeSlowerOnes() throws {
        let tenant = try server.makeTenant("pipe")
        let client = try server.connect()
        // Hold the tenant's settings row locked so tenant.update waits; a ping sent after it answers first.
        let db = try Database.superuser()
        try db.execute("BEGIN")
        try db.execute("SELECT 1 FROM t_\(tenant).settings FOR UPDATE")
        try client.send(request(1, "tenant.update", ["tenant": .string(tenant), "payment_terms_days": 14]))
        try client.send(request(2, "system.ping"))
        let first = try client.receiveJSON()
        #expect(first["id"] == 2)
        try db.execute("COMMIT")
        let second = try client.receiveJSON()
        #expect(second["id"] == 1)
        #expect(second["result"]?["payment_terms_days"] == 14)
    }
}
