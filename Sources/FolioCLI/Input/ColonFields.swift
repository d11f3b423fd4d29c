/// Splits option values such as `"Consulting\: May:10:95.00"` at unescaped colons.
/// `\:` stands for a colon and `\\` for a backslash; any other backslash is kept.
enum ColonFields {
    static func split(_ text: String) -> [String] {
        var fields: [String] = []
        var current = ""
        var iterator = text.makeIterator()
        while let character = iterator.next() {
            switch character {
            case "\\":
                guard let next = iterator.next() else {
                    current.append(character)
                    break
                }
                if next != ":" && next != "\\" { current.append(character) }
                current.append(next)
            case ":":
                fields.append(current)
                current = ""
            default:
                current.append(character)
            }
        }
        fields.append(current)
        return fields
    }
}
