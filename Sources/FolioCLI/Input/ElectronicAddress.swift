import FolioWire

/// `--electronic-address SCHEME:ID` in its wire form `{scheme, id}`; empty clears (null).
enum ElectronicAddress {
    static func json(_ text: String) -> JSON {
        guard !text.isEmpty else { return .null }
        let parts = text.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        return ["scheme": .string(parts[0]), "id": .string(parts.count > 1 ? parts[1] : "")]
    }
}
