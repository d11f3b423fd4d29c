/// Text that needs attention: bold red on a terminal unless NO_COLOR is set, plain otherwise.
enum Warning {
    static func highlighted(_ text: String) -> String {
        guard Platform.standardOutputIsTerminal, Platform.environment("NO_COLOR") == nil else { return text }
        return text.split(separator: "\n", omittingEmptySubsequences: false)
            .map { "\u{1B}[1;31m\($0)\u{1B}[0m" }.joined(separator: "\n")
    }
}
