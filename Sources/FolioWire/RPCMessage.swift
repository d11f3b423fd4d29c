/// A JSON-RPC request id: a number (kept as its source text) or a string.
public enum RPCID: Sendable, Hashable {
    case number(String)
    case string(String)

    public var json: JSON {
        switch self {
        case .number(let n): .number(n)
        case .string(let s): .string(s)
        }
    }

    public init?(json: JSON) {
        switch json {
        case .number(let n): self = .number(n)
        case .string(let s): self = .string(s)
        default: return nil
        }
    }
}

/// One JSON-RPC 2.0 request. `id == nil` makes it a notification.
public struct RPCRequest: Sendable {
    public var id: RPCID?
    public var method: String
    public var params: JSONObject

    public init(id: RPCID?, method: String, params: JSONObject = [:]) {
        self.id = id
        self.method = method
        self.params = params
    }

    /// Checks the envelope of one element. On failure returns the error and the id to echo
    /// (a valid id is echoed, anything else answers with id null).
    public static func validate(_ json: JSON) -> Result<RPCRequest, EnvelopeFailure> {
        guard case .object(let object) = json else {
            return .failure(EnvelopeFailure(id: nil, error: .invalidRequest("request must be a JSON object")))
        }
        var id: RPCID?
        var hasID = false
        if let raw = object["id"] {
            hasID = true
            id = RPCID(json: raw)
        }
        func fail(_ message: String) -> Result<RPCRequest, EnvelopeFailure> {
            .failure(EnvelopeFailure(id: id, error: .invalidRequest(message)))
        }
        if hasID && id == nil { return fail("id must be a number or a string") }
        guard object["jsonrpc"] == .string("2.0") else { return fail("jsonrpc must be \"2.0\"") }
        guard let method = object["method"]?.stringValue else { return fail("method must be a string") }
        for key in object.keys where !["jsonrpc", "id", "method", "params"].contains(key) {
            return fail("unknown request member \"\(key)\"")
        }
        var params = JSONObject()
        if let raw = object["params"] {
            guard case .object(let p) = raw else { return fail("params must be an object") }
            params = p
        }
        return .success(RPCRequest(id: id, method: method, params: params))
    }

    /// The request as a JSON-RPC object, as a client sends it.
    public var json: JSON {
        var object: JSONObject = ["jsonrpc": "2.0"]
        if let id { object["id"] = id.json }
        object["method"] = .string(method)
        object["params"] = .object(params)
        return .object(object)
    }
}

/// An envelope that is not a valid request, with the id to answer under.
public struct EnvelopeFailure: Error, Sendable {
    public var id: RPCID?
    public var error: RPCError
}

/// Builds response texts. Results from the database arrive as JSON text and are
/// spliced in without being parsed again.
public enum RPCResponse {
    public static func success(id: RPCID?, result: JSON) -> [UInt8] {
        var out = prefix(id)
        out.append(contentsOf: #","result":"#.utf8)
        JSONWriter.write(result, into: &out)
        out.append(UInt8(ascii: "}"))
        return out
    }

    /// A success whose result is already JSON text.
    public static func success(id: RPCID?, rawResult: some Sequence<UInt8>) -> [UInt8] {
        var out = prefix(id)
        out.append(contentsOf: #","result":"#.utf8)
        out.append(contentsOf: rawResult)
        out.append(UInt8(ascii: "}"))
        return out
    }

    public static func failure(id: RPCID?, error: RPCError) -> [UInt8] {
        var out = prefix(id)
        out.append(contentsOf: #","error":"#.utf8)
        JSONWriter.write(error.json, into: &out)
        out.append(UInt8(ascii: "}"))
        return out
    }

    private static func prefix(_ id: RPCID?) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        out.append(contentsOf: #"{"jsonrpc":"2.0","id":"#.utf8)
        JSONWriter.write(id?.json ?? .null, into: &out)
        return out
    }

    /// Splits a parsed response into its result or its error.
    public static func outcome(_ response: JSON) -> Result<JSON, RPCError> {
        if let error = response["error"] {
            return .failure(RPCError(json: error) ?? RPCError(code: ErrorCode.internalError, message: "malformed error"))
        }
        return .success(response["result"] ?? .null)
    }
}
