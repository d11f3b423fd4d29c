import ArgumentParser
import FolioWire

/// What an import reads: the CSV file and which of its columns holds which field.
struct ImportOptions: ParsableArguments {
    @Argument(help: ArgumentHelp("The CSV file, with a header row ('-': standard input).", valueName: "file.csv"))
    var file: String
    @Option(
        name: .customLong("column"),
        help: ArgumentHelp(
            "Take FIELD from the column headed HEADER (repeatable).",
            valueName: "field=header"),
        transform: ColumnMapping.parse)
    var columns: [ColumnMapping] = []

    /// The params `csv` (the file's text) and `columns`.
    func params(csv: String) -> JSONObject {
        var params: JSONObject = ["csv": .string(csv)]
        params.set("columns", ColumnMapping.json(columns))
        return params
    }
}
