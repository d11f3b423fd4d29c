import FolioClient
import FolioWire

/// One conversation with the server on behalf of a command: the connection together
/// with the global options that say which tenant to act in and how to print.
struct Session {
    let options: GlobalOptions
    private let connection: FolioConnection

    /// Connects to the server; throws `ClientError` when it cannot be reached.
    init(options: GlobalOptions) throws {
        self.options = options
        connection = try FolioConnection(socketPath: options.socketPath)
    }

    /// Calls a method with exactly these params.
    func call(_ method: String, _ params: JSONObject = [:]) throws -> JSON {
        try connection.call(method, params)
    }

    /// Calls a tenant-scoped method, putting the session's `tenant` first in the params.
    func callInTenant(_ method: String, _ params: JSONObject = [:]) throws -> JSON {
        let tenant: (key: String, value: JSON) = (key: "tenant", value: .string(try options.requireTenant()))
        return try call(method, JSONObject([tenant] + params.members.filter { $0.key != "tenant" }))
    }
}

extension Session {
    /// Calls a mutating tenant-scoped method, passing `--idempotency-key` when given.
    func callInTenant(_ method: String, _ params: JSONObject, idempotency: IdempotencyOptions) throws -> JSON {
        var params = params
        idempotency.apply(to: &params)
        return try callInTenant(method, params)
    }
}
