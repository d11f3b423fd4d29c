import ArgumentParser
import FolioWire

/// `folio call METHOD [JSON|-]`: any method, params given as JSON, result printed as JSON.
struct CallCommand: FolioCommand {
    static let configuration = CommandConfiguration(
        commandName: "call",
        abstract: "Call any method; prints the result as JSON.",
        discussion: """
            The tenant from --tenant or FOLIO_TENANT is added to the params unless they name one \
            or the method takes none (system.*, tenant.list).
            """)
    static let tenantScoped = false

    @OptionGroup(title: "Global Options") var global: GlobalOptions

    @Argument(help: ArgumentHelp("Method name, e.g. invoice.get.", valueName: "method"))
    var method: String

    @Argument(
        help: ArgumentHelp("Params as a JSON object, or - to read them from standard input (default {}).",
                           valueName: "json|-"),
        transform: CallCommand.params)
    var params: JSONObject = [:]

    func run(in session: Session) throws {
        let takesTenant = !method.hasPrefix("system.") && method != "tenant.list"
        let result = if takesTenant, params["tenant"] == nil, global.tenantSlug != nil {
            try session.callInTenant(method, params)
        } else {
            try session.call(method, params)
        }
        print(PrettyJSON.string(result))
    }

    /// Parses the params argument, reading standard input for "-".
    static func params(_ argument: String) throws -> JSONObject {
        let bytes = argument == "-" ? Platform.readStandardInput() : Array(argument.utf8)
        let value: JSON
        do {
            value = try JSONParser.parse(bytes)
        } catch {
            throw ValidationError("params are not JSON: \(error)")
        }
        guard let object = value.objectValue else {
            throw ValidationError("params must be a JSON object, got \(value.typeName)")
        }
        return object
    }
}
