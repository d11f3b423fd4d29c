import FolioWire

/// One RPC method: who may call it, what it takes, and where it runs.
public struct MethodSpec: Sendable {
    /// Where a method is carried out.
    public enum Implementation: Sendable, Equatable {
        /// In the server process (system and tenant administration methods).
        case native
        /// Documents rendered in the server from the tenant's data (PDF, HTML, text).
        case rendering
        /// As one SQL function of the tenant schema, `name(p jsonb) RETURNS jsonb`.
        case sql(String)
    }

    public let name: String
    public let access: Access
    /// Mutating methods accept `idempotency_key`.
    public let mutating: Bool
    public let implementation: Implementation
    /// Every field the method accepts: its own, plus `tenant` and `idempotency_key` as
    /// `access` and `mutating` call for them (computed once, not per request).
    public let allFields: [Field]

    public init(name: String, access: Access, mutating: Bool, fields: [Field], implementation: Implementation) {
        self.name = name
        self.access = access
        self.mutating = mutating
        self.implementation = implementation
        var all = fields
        if case .tenant = access { all.insert(.required("tenant", .slug), at: 0) }
        if mutating { all.append(.optional("idempotency_key", .text(min: 1, max: 200))) }
        allFields = all
    }

    /// Validates a request's params against this method.
    public func validate(_ params: JSONObject) throws(RPCError) {
        try ParamValidator.validate(params, allFields)
    }
}
