import FolioWire

extension JSON {
    /// The value as a person reads it: strings and numbers exactly as received (money
    /// is never reformatted), null as nothing, booleans as yes/no, a postal address as
    /// "line1, line2, postal_code city, region, country", other arrays and objects as
    /// their non-empty values joined by ", ".
    public var displayText: String {
        switch self {
        case .null: ""
        case .bool(let value): value ? "yes" : "no"
        case .number(let text): text
        case .string(let text): text
        case .array(let elements): Self.joined(elements.map(\.displayText))
        case .object(let object) where Self.isAddress(object): Self.address(object)
        case .object(let object): Self.joined(object.members.map(\.value.displayText))
        }
    }

    private static let addressKeys: Set = ["line1", "line2", "city", "region", "postal_code", "country"]

    private static func isAddress(_ object: JSONObject) -> Bool {
        object.count > 0 && object.keys.allSatisfy(addressKeys.contains)
    }

    private static func address(_ object: JSONObject) -> String {
        PostalAddress(.object(object)).lines.joined(separator: ", ")
    }

    private static func joined(_ texts: [String]) -> String {
        texts.filter { !$0.isEmpty }.joined(separator: ", ")
    }
}

extension JSON {
    /// A member's display text for a "key: value" header, "-" when it is absent or empty.
    public func shown(_ key: String) -> String {
        let value = self[key]?.displayText ?? ""
        return value.isEmpty ? "-" : value
    }
}

extension Optional where Wrapped == JSON {
    /// The display text of a member that may be missing: `nil` when it is missing or
    /// its text is empty (for documents, which leave such a field out).
    public var displayText: String? {
        guard let text = self?.displayText, !text.isEmpty else { return nil }
        return text
    }
}
