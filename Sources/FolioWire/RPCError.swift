/// A JSON-RPC error as Folio sends it: a code from the contract's table, a message,
/// and `data` that always says whether a retry may succeed and, where it concerns
/// a field, which one.
public struct RPCError: Error, Sendable, Equatable, CustomStringConvertible {
    public var code: Int
    public var message: String
    public var data: JSONObject

    public init(code: Int, message: String, data: JSONObject = [:]) {
        self.code = code
        self.message = message
        self.data = data
        if self.data["retryable"] == nil {
            self.data["retryable"] = .bool(code == ErrorCode.busy || code == ErrorCode.databaseUnavailable)
        }
    }

    public var field: String? { data["field"]?.stringValue }
    public var retryable: Bool { data["retryable"]?.boolValue ?? false }
    public var description: String {
        var text = "error \(code): \(message)"
        if let field { text += " (field \(field))" }
        return text
    }

    public var json: JSON {
        .object(["code": JSON(code), "message": .string(message), "data": .object(data)])
    }

    public init?(json: JSON) {
        guard let code = json["code"]?.int64Value, let message = json["message"]?.stringValue else { return nil }
        self.init(code: Int(code), message: message, data: json["data"]?.objectValue ?? [:])
    }

    public static func parse(_ message: String, reason: String? = nil) -> RPCError {
        RPCError(code: ErrorCode.parseError, message: message, data: reason.map { ["reason": .string($0)] } ?? [:])
    }
    public static func invalidRequest(_ message: String, reason: String? = nil) -> RPCError {
        RPCError(code: ErrorCode.invalidRequest, message: message, data: reason.map { ["reason": .string($0)] } ?? [:])
    }
    public static func methodNotFound(_ method: String) -> RPCError {
        RPCError(code: ErrorCode.methodNotFound, message: "method not found: \(method)")
    }
    public static func invalidParams(_ message: String, field: String) -> RPCError {
        RPCError(code: ErrorCode.invalidParams, message: message, data: ["field": .string(field)])
    }
    public static func internalError(ref: String) -> RPCError {
        RPCError(code: ErrorCode.internalError, message: "internal error (ref \(ref))", data: ["ref": .string(ref)])
    }
    public static let forbidden = RPCError(code: ErrorCode.forbidden, message: "forbidden")
    public static func notFound(_ message: String, field: String? = nil) -> RPCError {
        RPCError(code: ErrorCode.notFound, message: message, data: field.map { ["field": .string($0)] } ?? [:])
    }
    public static func conflict(_ message: String, field: String? = nil) -> RPCError {
        RPCError(code: ErrorCode.conflict, message: message, data: field.map { ["field": .string($0)] } ?? [:])
    }
    public static func busy(_ message: String, reason: String? = nil) -> RPCError {
        RPCError(code: ErrorCode.busy, message: message, data: reason.map { ["reason": .string($0)] } ?? [:])
    }
    public static let databaseUnavailable = RPCError(code: ErrorCode.databaseUnavailable, message: "database unavailable")
}

/// The error codes of the Folio contract.
public enum ErrorCode {
    public static let parseError = -32700
    public static let invalidRequest = -32600
    public static let methodNotFound = -32601
    public static let invalidParams = -32602
    public static let internalError = -32603
    public static let forbidden = -32001
    public static let notFound = -32002
    public static let conflict = -32003
    public static let idempotencyMismatch = -32004
    public static let busy = -32010
    public static let databaseUnavailable = -32011
}
