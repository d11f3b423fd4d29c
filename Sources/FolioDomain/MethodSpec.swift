import FolioWire

/// One RPC method: who may call it, what it takes, and where it runs.
public struct MethodSpec: Sendable {
    /// Where a method is carried out. The dispatcher switches on this once; every case
    /// below is handled exhaustively, so a new server method cannot be left unrouted.
    public enum Implementation: Sendable, Equatable {
        /// As one SQL function of the shared code, `name(p jsonb) RETURNS jsonb`, run in
        /// the tenant's transaction under the tenant's role.
        case sql(String)
        /// In the server from memory, without the database (`system.ping`).
        case ping
        /// In the server, against the control schema (identity, tenants, memberships).
        case control(ControlMethod)
        /// In the server: a document rendered from the tenant's data.
        case document(DocumentMethod)
    }

    /// The methods the server answers from the control schema.
    public enum ControlMethod: Sendable, Equatable {
        case whoami, tenantCreate, tenantList, tenantGrant, tenantRevoke, tenantMembers
    }

    /// The documents the server renders (PDF, HTML, text, EN 16931 XML).
    public enum DocumentMethod: Sendable, Equatable {
        case invoice, creditNote, invoiceBatch, invoiceExport, statement, reminderLetters, order, delivery
    }

    public let name: String
    public let access: Access
    /// Mutating methods accept `idempotency_key`.
    public let mutating: Bool
    public let implementation: Implementation
    /// Every field the method accepts: its own, plus `tenant` and `idempotency_key` as
    /// `access` and `mutating` call for them (computed once, not per request).
    public let allFields: [Field]
    /// The top-level fields holding a template (`ParamType.template`), which the server
    /// parses before the method runs.
    public let templateFields: [String]

    public init(name: String, access: Access, mutating: Bool, fields: [Field], implementation: Implementation) {
        self.name = name
        self.access = access
        self.mutating = mutating
        self.implementation = implementation
        var all = fields
        if case .tenant = access { all.insert(.required("tenant", .slug), at: 0) }
        if mutating { all.append(.optional("idempotency_key", .text(min: 1, max: 200))) }
        allFields = all
        templateFields = all.compactMap { field in
            if case .template = field.type { field.name } else { nil }
        }
    }

    /// Validates a request's params against this method.
    public func validate(_ params: JSONObject) throws(RPCError) {
        try ParamValidator.validate(params, allFields)
    }
}
