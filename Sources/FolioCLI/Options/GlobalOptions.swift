import ArgumentParser
import FolioClient

/// Options every command takes: where the server listens, which tenant to act in,
/// and whether to print JSON. Declared on the root command too, so they may stand
/// before or after the subcommand; ArgumentParser hands the root's values down.
struct GlobalOptions: ParsableArguments {
    @Option(help: ArgumentHelp(
        "Server socket (default: $FOLIO_SOCKET, else \(FolioConnection.defaultSocketPath)).", valueName: "path"))
    var socket: String?

    @Option(help: ArgumentHelp("Tenant to act in (default: $FOLIO_TENANT).", valueName: "slug"))
    var tenant: String?

    @Flag(help: "Print the raw result as JSON (2-space indentation, keys in server order).")
    var json = false

    /// The socket path to connect to.
    var socketPath: String {
        socket ?? Platform.environment("FOLIO_SOCKET") ?? FolioConnection.defaultSocketPath
    }

    /// The tenant slug from the option or the environment, if any.
    var tenantSlug: String? {
        tenant ?? Platform.environment("FOLIO_TENANT")
    }

    /// The tenant slug, or a usage error saying how to give one.
    func requireTenant() throws -> String {
        guard let tenantSlug else {
            throw ValidationError("this command acts in a tenant: pass --tenant SLUG or set FOLIO_TENANT")
        }
        return tenantSlug
    }
}
