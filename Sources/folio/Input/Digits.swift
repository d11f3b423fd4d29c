extension String {
    /// Whether the string is one or more ASCII digits (no sign, no spaces).
    var isAllDigits: Bool {
        !isEmpty && utf8.allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
    }
}
