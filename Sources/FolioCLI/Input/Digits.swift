extension String {
    /// Whether the string is one or more ASCII digits (no sign, no spaces).
    var isAllDigits: Bool {
        !isEmpty && utf8.allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
    }
}

extension String {
    /// Whether the string is a plain decimal such as the server's money values:
    /// an optional minus, digits, and optionally a point and more digits.
    var isPlainDecimal: Bool {
        let body = hasPrefix("-") ? Substring(dropFirst()) : Substring(self)
        let parts = body.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        return parts.allSatisfy { String($0).isAllDigits }
    }
}
