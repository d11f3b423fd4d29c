import FolioWire
import Testing

@Suite struct JSONTests {
    @Test(arguments: [
        (#"{"a":1,"b":[true,false,null],"c":"x"}"#, JSON.object(["a": 1, "b": [true, false, nil], "c": "x"])),
        (#"  [ 1 , -0.5e+3 , "\u00e9\ud83d\ude00\n" ] "#, JSON.array([1, .number("-0.5e+3"), "é😀\n"])),
        (#""1234.50""#, JSON.string("1234.50")),
    ])
    func parses(text: String, expected: JSON) throws {
        #expect(try JSONParser.parse(text) == expected)
    }

    @Test(arguments: [
        "", "{", "[1,]", "{\"a\":1,}", "01", "1.", ".5", "-", "tru", "\"\\x\"", "\"\\ud800\"", "{\"a\":1,\"a\":2}",
        "[1] x", "\"a\u{01}b\"", "1e", String(repeating: "[", count: 100) + String(repeating: "]", count: 100),
    ])
    func rejects(text: String) {
        #expect(throws: JSONParseError.self) { try JSONParser.parse(text) }
    }

    @Test func rejectsInvalidUTF8() {
        #expect(throws: JSONParseError.self) { try JSONParser.parse([0x22, 0xC3, 0x28, 0x22]) }
    }

    @Test func numbersKeepTheirText() throws {
        let value = try JSONParser.parse("[0.1000000000000000055511151231257827, 12345678901234567890123]")
        #expect(JSONWriter.string(value) == "[0.1000000000000000055511151231257827,12345678901234567890123]")
    }

    @Test func roundTripsEscapes() throws {
        let original = JSON.string("quote \" backslash \\ tab \t nul \u{0} ünï 東京")
        #expect(try JSONParser.parse(JSONWriter.bytes(original)) == original)
    }

    @Test func frameHeaderIsBigEndian() {
        #expect(Frame.header(258) == [0, 0, 1, 2])
        #expect(Frame.length(of: [0, 1, 0, 0]) == 65536)
    }

    @Test func responsesCarryRetryableAndSplicedResults() throws {
        let failure = try JSONParser.parse(RPCResponse.failure(id: .string("a"), error: .invalidParams("bad", field: "lines[2].qty")))
        #expect(failure == ["jsonrpc": "2.0", "id": "a", "error": [
            "code": -32602, "message": "bad", "data": ["field": "lines[2].qty", "retryable": false]]])
        let busy = RPCError.busy("locked")
        #expect(busy.retryable)
        let success = try JSONParser.parse(RPCResponse.success(id: .number("7"), rawResult: Array(#"{"x": "1.00"}"#.utf8)))
        #expect(success["result"]?["x"] == "1.00")
        #expect(success["id"] == 7)
    }
}
