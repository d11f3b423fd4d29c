import FolioWire

extension JSON {
    /// The value as a person reads it: strings and numbers exactly as received (money
    /// is never reformatted), null as nothing, booleans as yes/no, arrays and objects
    /// (addresses) as their non-empty values joined by ", ".
    var displayText: String {
        switch self {
        case .null: ""
        case .bool(let value): value ? "yes" : "no"
        case .number(let text): text
        case .string(let text): text
        case .array(let elements): Self.joined(elements)
        case .object(let object): Self.joined(object.members.map(\.value))
        }
    }

    private static func joined(_ values: [JSON]) -> String {
        values.map(\.displayText).filter { !$0.isEmpty }.joined(separator: ", ")
    }
}
