import FolioWire

extension Session {
    /// Prints a result: indented JSON with `--json`, else `human`'s rendering of it.
    func show(_ result: JSON, _ human: (JSON) -> String) {
        print(options.json ? PrettyJSON.string(result) : human(result))
    }

    /// Prints an object as a "key: value" block (JSON with `--json`).
    func show(_ result: JSON, leading: [String]) {
        show(result) { KeyValueBlock($0, leading: leading).render() }
    }

    /// Prints a list result as a table (JSON with `--json`). When a further page exists,
    /// says on standard error how to fetch it.
    func show(list result: JSON, _ view: ListView) {
        show(result) { view.render($0["items"]?.arrayValue ?? []) }
        if !options.json, let cursor = result["next_cursor"]?.stringValue {
            Platform.writeError("more \(view.noun.plural) follow: --cursor \(cursor), or --all for every page\n")
        }
    }
}

extension Session {
    /// Prints a report: JSON with `--json`, its main table as CSV with `--csv`, else as text.
    func show(report result: JSON, _ view: ReportView, format: ReportFormatOptions) {
        if format.csv && !options.json {
            print(view.csv(result), terminator: "")
        } else {
            show(result, view.text)
        }
    }
}
