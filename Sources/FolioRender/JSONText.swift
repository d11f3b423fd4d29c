import FolioWire

extension JSON {
    /// The value as display text: strings as they are, numbers in their source text,
    /// booleans as words; `nil` for null, arrays, objects and empty strings.
    var displayText: String? {
        switch self {
        case .string(let s): s.isEmpty ? nil : s
        case .number(let n): n
        case .bool(let b): b ? "yes" : "no"
        case .null, .array, .object: nil
        }
    }
}

extension Optional where Wrapped == JSON {
    /// `displayText` of a member that may be missing.
    var displayText: String? { self?.displayText }
}
