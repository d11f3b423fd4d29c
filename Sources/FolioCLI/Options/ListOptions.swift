import ArgumentParser

/// Paging options of list commands.
struct ListOptions: ParsableArguments {
    /// The largest page the server serves.
    static let maximumLimit = 500

    @Option(help: ArgumentHelp("Items per page, 1-500 (server default 50; with --all 500).", valueName: "n"))
    var limit: Int?

    @Option(help: ArgumentHelp("Continue after this cursor (a previous page's next_cursor).", valueName: "cursor"))
    var cursor: String?

    @Flag(help: "Fetch every page, following next_cursor to the end.")
    var all = false

    /// The page size to ask for.
    var pageLimit: Int? { limit ?? (all ? Self.maximumLimit : nil) }
}
