import FolioText
import ArgumentParser
import FolioWire

/// `folio ping`: whether the server answers, and its version.
struct PingCommand: FolioCommand {
    static let configuration = CommandConfiguration(commandName: "ping", abstract: "Check that the server answers.")
    static let tenantScoped = false

    @OptionGroup(title: "Global Options") var global: GlobalOptions

    func run(in session: Session) throws {
        session.show(try session.call("system.ping")) { "pong (foliod \($0["version"]?.displayText ?? "?"))" }
    }
}

/// `folio whoami`: the caller's uid, administrator status and memberships.
struct WhoamiCommand: FolioCommand {
    static let configuration = CommandConfiguration(
        commandName: "whoami", abstract: "Show who the server takes you for and your tenants.")
    static let tenantScoped = false

    @OptionGroup(title: "Global Options") var global: GlobalOptions

    func run(in session: Session) throws {
        session.show(try session.call("system.whoami")) { result in
            let identity = KeyValueBlock(result, leading: ["uid", "admin"], omitting: ["tenants"]).render()
            let view = ListView(noun: Noun("membership"), columns: [.init("TENANT", "tenant"), .init("ROLE", "role")])
            return identity + "\n\n" + view.render(result["tenants"]?.arrayValue ?? [])
        }
    }
}
