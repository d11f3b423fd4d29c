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

    public var name: String
    public var access: Access
    /// Mutating methods accept `idempotency_key`.
    public var mutating: Bool
    /// The method's own fields; `tenant` and `idempotency_key` are added from `access` and `mutating`.
    public var fields: [Field]
    public var implementation: Implementation

    /// Every field the method accepts, including the common ones.
    public var allFields: [Field] {
        var all = fields
        if case .tenant = access { all.insert(.required("tenant", .slug), at: 0) }
        if mutating { all.append(.optional("idempotency_key", .text(min: 1, max: 200))) }
        return all
    }

    /// Validates a request's params against this method.
    public func validate(_ params: JSONObject) throws(RPCError) {
        try ParamValidator.validate(params, allFields)
    }
}
