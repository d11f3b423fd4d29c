import FolioPostgres
import FolioWire
import Logging

/// Turns any failure into the contract's error. Errors raised by the SQL functions carry
/// Folio's own SQLSTATEs (FL001...FL602, field path in DETAIL); lock and statement
/// timeouts are busy (retryable); a lost database is -32011; anything else is a bug:
/// logged with a correlation id that the caller receives, without SQL or stack traces.
struct ErrorTranslation: Sendable {
    let logger: Logger

    func rpcError(_ error: any Error, method: String) -> RPCError {
        switch error {
        case let error as RPCError:
            return error
        case let error as PostgresError:
            return translate(error, method: method)
        default:
            return internalError(error, method: method)
        }
    }

    private func translate(_ error: PostgresError, method: String) -> RPCError {
        if error.kind == .connection { return .databaseUnavailable }
        let field = error.detail.flatMap { $0.isEmpty ? nil : $0 }
        switch error.sqlState ?? "" {
        case "FL001": return .forbidden
        case "FL002": return .notFound(error.message, field: field)
        case "FL003": return .conflict(error.message, field: field)
        case "FL004":
            return RPCError(code: ErrorCode.idempotencyMismatch, message: error.message, data: ["field": "idempotency_key"])
        case "FL602": return .invalidParams(error.message, field: field ?? "params")
        case "55P03", "57014": return .busy("timed out waiting for a lock or a statement; retry", reason: "timeout")
        case "40001", "40P01": return .busy("transaction conflict; retry", reason: "serialization")
        case "53300", "57P03": return .databaseUnavailable
        default: return internalError(error, method: method)
        }
    }

    private func internalError(_ error: any Error, method: String) -> RPCError {
        let ref = Self.newReference()
        logger.error("internal error", metadata: ["ref": "\(ref)", "method": "\(method)", "error": "\(error)"])
        return .internalError(ref: ref)
    }

    /// A short random correlation id.
    static func newReference() -> String {
        var generator = SystemRandomNumberGenerator()
        return String(generator.next() as UInt64, radix: 36)
    }
}
