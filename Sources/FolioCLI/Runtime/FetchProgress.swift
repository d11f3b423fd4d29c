/// Progress of a multi-page fetch on standard error ("fetched 500 invoices…"). On a
/// terminal the line is redrawn in place and cleared at the end; otherwise it is
/// written line by line, and only when more than one page is fetched.
struct FetchProgress {
    let noun: Noun
    private let terminal = Platform.standardErrorIsTerminal
    private var pages = 0
    private var shown = false

    init(noun: Noun) {
        self.noun = noun
    }

    /// Reports that `count` objects have arrived so far.
    mutating func fetched(_ count: Int, morePages: Bool) {
        pages += 1
        guard terminal || morePages || pages > 1 else { return }
        let text = "fetched \(noun.counted(count))…"
        Platform.writeError(terminal ? "\r\u{1B}[K" + text : text + "\n")
        shown = true
    }

    /// Clears the progress line from a terminal.
    func finish() {
        if terminal && shown { Platform.writeError("\r\u{1B}[K") }
    }
}
