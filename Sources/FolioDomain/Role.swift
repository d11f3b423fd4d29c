/// A caller's membership role in a tenant; each may do what the ones before it may
/// (the order is enforced by `folio.enter` in the database).
public enum Role: String, Sendable, CaseIterable {
    /// Read and report only.
    case viewer
    /// Create, issue, record and send.
    case clerk
    /// Everything, including grants and settings.
    case owner
}

/// Who may call a method.
public enum Access: Sendable, Equatable {
    /// Anyone who can reach the socket; no tenant.
    case anyone
    /// Administrators only; no tenant membership involved.
    case admin
    /// Members of `params.tenant` holding at least this role (administrators always).
    case tenant(Role)
}
