import FolioDomain
import FolioPostgres
import FolioRender
import FolioWire
import Logging
import NIOCore

/// Routes one request: looks the method up in the catalog, validates its params,
/// checks the caller's access, and runs it, either in the server (system and tenant
/// administration) or as its tenant's SQL function in one transaction and one
/// database round trip.
final class Dispatcher: Sendable {
    /// What dispatching produced: a response ready now, or one still being worked on.
    /// `nil` bytes mean no response (a notification).
    enum Outcome {
        case now([UInt8]?)
        case later(EventLoopFuture<[UInt8]?>)
    }

    let pool: PostgresPool
    let administration: TenantAdministration
    let documents: DocumentRendering
    let errors: ErrorTranslation
    /// The ping result never changes: built once.
    private let pingResult: [UInt8]

    init(pool: PostgresPool, administration: TenantAdministration, logger: Logger, version: String) {
        self.pool = pool
        self.administration = administration
        self.documents = DocumentRendering(pool: pool)
        self.errors = ErrorTranslation(logger: logger)
        self.pingResult = Array(#"{"pong":true,"version":"\#(version)","contract":"1.1"}"#.utf8)
    }

    func dispatch(_ request: RPCRequest, caller: Caller, on eventLoop: EventLoop) -> Outcome {
        let spec: MethodSpec
        do {
            spec = try Self.check(request, caller: caller)
        } catch {
            return .now(respond(request, .failure(error)))
        }
        let work: EventLoopFuture<Reply>
        switch spec.implementation {
        case .ping:
            return .now(request.id.map { RPCResponse.success(id: $0, rawResult: pingResult) })
        case .control(let method):
            work = administration.run(method, spec, request.params, caller: caller, on: eventLoop)
        case .sql(let function):
            work = tenantCall(spec, function: function, request.params, caller: caller, on: eventLoop)
        case .document(let document):
            let (enter, arguments) = tenantEntry(spec, request.params, caller: caller)
            work = documents.run(document, enter, arguments, on: eventLoop)
        }
        return .later(work.map { self.respond(request, .success($0)) }
            .recover { self.respond(request, .failure(self.errors.rpcError($0, method: spec.name))) })
    }

    /// Everything checked before any database work: the method exists, its params are
    /// valid (and a stored HTML template parses and keeps the template rules), and an
    /// administrator-only method has an administrator calling.
    static func check(_ request: RPCRequest, caller: Caller) throws -> MethodSpec {
        guard let spec = MethodCatalog.spec(request.method) else { throw RPCError.methodNotFound(request.method) }
        try spec.validate(request.params)
        if spec.access == .admin, !caller.isAdmin { throw RPCError.forbidden }
        for field in spec.templateFields {
            guard let template = request.params[field]?.stringValue, !template.isEmpty else { continue }
            do {
                _ = try HTMLTemplateRules.parse(template)
            } catch {
                throw RPCError.invalidParams(error.description, field: field)
            }
        }
        return spec
    }

    /// Runs a tenant method's SQL function: `folio.enter` checks membership and switches
    /// to the tenant's role and schema, then the function runs, all in one pipeline
    /// (one round trip, one implicit transaction).
    private func tenantCall(
        _ spec: MethodSpec, function: String, _ params: JSONObject, caller: Caller, on eventLoop: EventLoop
    ) -> EventLoopFuture<Reply> {
        let (enter, entered) = tenantEntry(spec, params, caller: caller)
        var arguments = entered
        let key = arguments["idempotency_key"]?.stringValue
        arguments["idempotency_key"] = nil
        let argumentText = JSONWriter.string(.object(arguments))
        let call: PostgresStatement
        if let key {
            call = PostgresStatement("SELECT idempotent($1, $2, $3, $4::jsonb)::text",
                                     [spec.name, key, function, argumentText], prepareAs: "folio_idempotent")
        } else {
            call = PostgresStatement("SELECT \(function)($1::jsonb)::text", [argumentText], prepareAs: "folio_\(function)")
        }
        return pool.run(on: eventLoop, tenant: enter.tenant, client: enter.client) { db in
            let results = try db.pipeline([enter.statement(on: db), call])
            return Reply.text(results[1].scalar ?? "null")
        }
    }

    /// How the request enters its tenant, and the params without `tenant`.
    private func tenantEntry(_ spec: MethodSpec, _ params: JSONObject, caller: Caller) -> (TenantEntry, JSONObject) {
        let role: Role
        if case .tenant(let needed) = spec.access { role = needed } else { role = .owner }
        var arguments = params
        let tenant = arguments["tenant"]?.stringValue ?? ""
        arguments["tenant"] = nil
        let enter = TenantEntry(uid: caller.uid, tenant: tenant, role: role, isAdmin: caller.isAdmin, method: spec.name,
                                client: caller.client)
        return (enter, arguments)
    }

    private func respond(_ request: RPCRequest, _ outcome: Result<Reply, any Error>) -> [UInt8]? {
        guard let id = request.id else { return nil }
        switch outcome {
        case .success(.json(let value)): return RPCResponse.success(id: id, result: value)
        case .success(.text(let text)): return RPCResponse.success(id: id, rawResult: text.utf8)
        case .failure(let error): return RPCResponse.failure(id: id, error: errors.rpcError(error, method: request.method))
        }
    }
}
