/// CSV text as RFC 4180 has it: fields separated by commas, records ended by CRLF, and a
/// field quoted (its quotes doubled) when it holds a comma, a quote or a line break, or
/// starts or ends with white space (which spreadsheets would otherwise trim).
enum CSV {
    static func render(_ records: [[String]]) -> String {
        records.map { $0.map(field).joined(separator: ",") + "\r\n" }.joined()
    }

    static func field(_ text: String) -> String {
        let special = text.contains { $0 == "," || $0 == "\"" || $0.isNewline }
        guard special || text.first?.isWhitespace == true || text.last?.isWhitespace == true else { return text }
        return "\"" + text.split(separator: "\"", omittingEmptySubsequences: false).joined(separator: "\"\"") + "\""
    }
}
