import ArgumentParser

/// A leaf command of `folio`: it checks that a tenant is known when it needs one,
/// connects, and does its work in a `Session`.
protocol FolioCommand: ParsableCommand {
    var global: GlobalOptions { get }
    /// Whether the command acts in a tenant (and so needs `--tenant` or `FOLIO_TENANT`).
    static var tenantScoped: Bool { get }
    /// Checks options that depend on each other, before connecting (default: nothing to check).
    func validateOptions() throws
    func run(in session: Session) throws
}

extension FolioCommand {
    static var tenantScoped: Bool { true }

    func validateOptions() throws {}

    mutating func validate() throws {
        if Self.tenantScoped { _ = try global.requireTenant() }
        try validateOptions()
    }

    mutating func run() throws {
        try run(in: Session(options: global))
    }
}
