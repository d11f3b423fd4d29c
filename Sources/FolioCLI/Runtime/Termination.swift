import ArgumentParser
import FolioClient
import FolioWire

/// How the client ends when a command fails: a one-line message on standard error and
/// an exit status scripts can tell apart. 1: the server answered with an error (or the
/// command's own check failed, or an output file could not be written); 2: the command
/// line was wrong (including an input file that cannot be read); 3: the server could not
/// be reached.
enum Termination {
    static let serverError: Int32 = 1
    static let usageError: Int32 = 2
    static let unreachable: Int32 = 3

    static func exit(for error: Error) -> Never {
        switch error {
        case let error as RPCError:
            Platform.writeError(message(for: error) + "\n")
            Platform.exit(serverError)
        case let error as ClientError:
            Platform.writeError("folio: \(error)\n")
            Platform.exit(unreachable)
        case let error as FileError:
            Platform.writeError("folio: \(error)\n")
            Platform.exit(error.action == .read ? usageError : serverError)
        default:
            guard Folio.exitCode(for: error) == .validationFailure else { Folio.exit(withError: error) }
            Platform.writeError(Folio.fullMessage(for: error) + "\n")
            Platform.exit(usageError)
        }
    }

    /// `folio: error -32602 invalid params: qty must be ... (field lines[0].qty)`, plus
    /// `(ref R)` for internal errors unless the message already carries it.
    static func message(for error: RPCError) -> String {
        var text = "folio: error \(error.code) \(shortName(error.code)): \(error.message)"
        if let field = error.field { text += " (field \(field))" }
        if let ref = error.data["ref"]?.stringValue, !error.message.contains("(ref \(ref))") { text += " (ref \(ref))" }
        return text
    }

    /// The contract's name for an error code.
    static func shortName(_ code: Int) -> String {
        switch code {
        case ErrorCode.parseError: "parse error"
        case ErrorCode.invalidRequest: "invalid request"
        case ErrorCode.methodNotFound: "method not found"
        case ErrorCode.invalidParams: "invalid params"
        case ErrorCode.internalError: "internal error"
        case ErrorCode.forbidden: "forbidden"
        case ErrorCode.notFound: "not found"
        case ErrorCode.conflict: "conflict"
        case ErrorCode.idempotencyMismatch: "idempotency key reused"
        case ErrorCode.busy: "busy"
        case ErrorCode.databaseUnavailable: "database unavailable"
        default: "server error"
        }
    }
}
