/// Counting the records of CSV text (RFC 4180: a line break inside a quoted field does
/// not end the record), for progress messages. The server parses the CSV itself.
enum CSVRecords {
    /// The number of data rows: the records after the header, blank lines not counted.
    static func dataRowCount(_ text: String) -> Int {
        var records = 0
        var inQuotes = false
        var recordHasText = false
        for byte in text.utf8 {
            if byte == UInt8(ascii: "\"") { inQuotes.toggle() }
            if !inQuotes, byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r") {
                if recordHasText { records += 1 }
                recordHasText = false
            } else {
                recordHasText = true
            }
        }
        if recordHasText { records += 1 }
        return max(0, records - 1)
    }
}
