import ArgumentParser
import FolioWire

/// The format of an export and where it goes.
struct ExportOptions: ParsableArguments {
    @Option(help: ArgumentHelp("csv (default) or json; for invoices also ubl (one file per invoice into -o DIR).", valueName: "format"))
    var format: String?
    @Option(
        name: [.customShort("o"), .customLong("output")],
        help: ArgumentHelp("Write to this file instead of standard output ('-': standard output).", valueName: "file"))
    var output: String?

    func apply(to params: inout JSONObject) {
        params.set("format", format)
    }

    /// The file to write to, nil for standard output.
    var file: String? { output == "-" ? nil : output }
}
