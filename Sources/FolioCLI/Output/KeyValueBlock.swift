import FolioText
import FolioWire

/// "key: value" lines, values aligned in one column; continuation lines of a
/// multi-line value are indented to that column.
struct KeyValueBlock {
    var pairs: [(key: String, value: String)]
    /// Right-aligns the values (for a block of amounts).
    var alignValuesRight = false

    /// An object's members: the `leading` keys first, in that order, then the others in
    /// the server's order, leaving out `omitting`. Empty values show as "-".
    init(_ object: JSON, leading: [String] = [], omitting: Set<String> = []) {
        let members = object.objectValue ?? [:]
        let keys = leading.filter { members[$0] != nil } + members.keys.filter { !leading.contains($0) }
        pairs = keys.filter { !omitting.contains($0) }.map { key in
            let text = members[key]?.displayText ?? ""
            return (key: key, value: text.isEmpty ? "-" : text)
        }
    }

    init(pairs: [(key: String, value: String)], alignValuesRight: Bool = false) {
        self.pairs = pairs
        self.alignValuesRight = alignValuesRight
    }

    func render() -> String {
        let keyWidth = (pairs.map(\.key.count).max() ?? 0) + 1
        let valueWidth = pairs.map(\.value.count).max() ?? 0
        let indent = String(repeating: " ", count: keyWidth + 1)
        return pairs.map { pair in
            let label = pair.key + ":" + String(repeating: " ", count: keyWidth - pair.key.count - 1)
            let value = alignValuesRight ? String(repeating: " ", count: valueWidth - pair.value.count) + pair.value : pair.value
            let lines = value.split(separator: "\n", omittingEmptySubsequences: false)
            return label + " " + lines.joined(separator: "\n" + indent)
        }.joined(separator: "\n")
    }
}
