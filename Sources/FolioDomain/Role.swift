/// A caller's membership role in a tenant, ordered by what it may do.
public enum Role: String, Sendable, Comparable, CaseIterable {
    /// Read and report only.
    case viewer
    /// Create, issue, record and send.
    case clerk
    /// Everything, including grants and settings.
    case owner

    private var rank: Int {
        switch self {
        case .viewer: 1
        case .clerk: 2
        case .owner: 3
        }
    }

    public static func < (a: Role, b: Role) -> Bool { a.rank < b.rank }
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
