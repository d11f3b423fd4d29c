/// A one-line "working…" note on standard error while a long call runs (terminals only).
struct CallProgress {
    private let shown: Bool

    static func start(_ text: String) -> CallProgress {
        let shown = Platform.standardErrorIsTerminal
        if shown { Platform.writeError("\(text)…") }
        return CallProgress(shown: shown)
    }

    func finish() {
        if shown { Platform.writeError("\r\u{1B}[K") }
    }
}
