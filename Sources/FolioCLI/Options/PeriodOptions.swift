import ArgumentParser
import FolioWire

/// `--from` and `--to`: the period a report or an export covers, both days included.
struct PeriodOptions: ParsableArguments {
    @Option(help: ArgumentHelp("First day of the period.", valueName: "yyyy-mm-dd"))
    var from: String
    @Option(help: ArgumentHelp("Last day of the period.", valueName: "yyyy-mm-dd"))
    var to: String

    func apply(to params: inout JSONObject) {
        params["from"] = .string(from)
        params["to"] = .string(to)
    }
}
