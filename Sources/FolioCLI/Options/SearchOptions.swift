import ArgumentParser
import FolioWire

/// Filters shared by the customer and item lists.
struct SearchOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Only those whose name (or email, sku) contains this text.", valueName: "text"))
    var search: String?

    @Flag(help: "Include archived ones.")
    var includeArchived = false

    func apply(to params: inout JSONObject) {
        params.set("search", search)
        params.set("include_archived", flag: includeArchived)
    }
}
