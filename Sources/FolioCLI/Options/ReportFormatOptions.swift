import ArgumentParser

/// `--csv`: a report's main table as CSV instead of aligned text.
struct ReportFormatOptions: ParsableArguments {
    @Flag(help: "Print the main table as CSV (RFC 4180: a header row, then one row per line; no totals row).")
    var csv = false

    /// Rejects `--csv` together with `--json`.
    func check(against global: GlobalOptions) throws {
        if csv && global.json { throw ValidationError("--csv and --json cannot be combined") }
    }
}
