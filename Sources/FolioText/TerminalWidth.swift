/// Widths of text in a monospace terminal or fixed-pitch layout (the CLI's tables, text
/// documents), per grapheme cluster: East Asian wide and
/// fullwidth characters (and emoji) take two columns, everything else one.
public enum TerminalWidth {
    public static func of(_ character: Character) -> Int {
        guard let scalar = character.unicodeScalars.first else { return 0 }
        if character.unicodeScalars.contains(where: { $0.properties.isEmojiPresentation }) { return 2 }
        return isWide(scalar.value) ? 2 : 1
    }

    public static func of(_ string: some StringProtocol) -> Int {
        string.reduce(0) { $0 + of($1) }
    }

    private static func isWide(_ v: UInt32) -> Bool {
        switch v {
        case 0x1100...0x115F, 0x2E80...0x303E, 0x3041...0x33FF, 0x3400...0x4DBF, 0x4E00...0x9FFF,
             0xA000...0xA4CF, 0xAC00...0xD7A3, 0xF900...0xFAFF, 0xFE30...0xFE4F, 0xFF00...0xFF60,
             0xFFE0...0xFFE6, 0x20000...0x2FFFD, 0x30000...0x3FFFD:
            return true
        default:
            return false
        }
    }

    /// `string` padded with spaces to `width` columns, on the left for `.right`.
    public static func pad(_ string: String, to width: Int, right: Bool = false) -> String {
        let fill = String(repeating: " ", count: max(0, width - of(string)))
        return right ? fill + string : string + fill
    }

    /// Breaks `string` into lines of at most `width` columns, at spaces where possible and
    /// inside words that are longer than a line.
    public static func wrap(_ string: String, width: Int) -> [String] {
        var lines: [String] = []
        for paragraph in string.split(separator: "\n", omittingEmptySubsequences: false) {
            var line = ""
            var lineWidth = 0
            for word in paragraph.split(separator: " ", omittingEmptySubsequences: true) {
                var word = Substring(word)
                let wordWidth = of(word)
                if lineWidth > 0 && lineWidth + 1 + wordWidth <= width {
                    line += " " + word
                    lineWidth += 1 + wordWidth
                    continue
                }
                if lineWidth > 0 { lines.append(line); line = ""; lineWidth = 0 }
                // Split words wider than a line.
                while of(word) > width {
                    var piece = "", pieceWidth = 0
                    while let c = word.first, pieceWidth + of(c) <= width || piece.isEmpty {
                        piece.append(c); pieceWidth += of(c); word = word.dropFirst()
                    }
                    lines.append(piece)
                }
                line = String(word)
                lineWidth = of(word)
            }
            lines.append(line)
        }
        return lines
    }
}
