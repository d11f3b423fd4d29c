import FolioWire

/// A postal address as printed: its non-empty lines in order.
public struct PostalAddress: Sendable, Equatable {
    public var lines: [String]

    public init(lines: [String]) { self.lines = lines }

    /// Reads `{line1, line2, city, region, postal_code, country}`; a plain string is
    /// taken line by line. Missing or null fields are skipped.
    public init(_ json: JSON?) {
        guard let json else { self.lines = []; return }
        if let text = json.stringValue {
            self.lines = text.split(whereSeparator: \.isNewline).map(String.init).filter { !$0.isEmpty }
            return
        }
        var lines: [String] = []
        func part(_ key: String) -> String? { json[key]?.scalarText }
        for key in ["line1", "line2"] { if let v = part(key) { lines.append(v) } }
        let cityLine = [part("postal_code"), part("city")].compactMap { $0 }.joined(separator: " ")
        if !cityLine.isEmpty { lines.append(cityLine) }
        if let region = part("region") { lines.append(region) }
        if let country = part("country") { lines.append(country) }
        self.lines = lines
    }

    public var isEmpty: Bool { lines.isEmpty }
}

extension JSON {
    /// A string or number as text; nil for anything else and for empty strings.
    fileprivate var scalarText: String? {
        switch self {
        case .string(let s): s.isEmpty ? nil : s
        case .number(let n): n
        default: nil
        }
    }
}
