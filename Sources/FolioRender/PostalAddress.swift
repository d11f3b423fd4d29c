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
        for key in ["line1", "line2"] { if let v = json[key].displayText { lines.append(v) } }
        let cityLine = [json["postal_code"].displayText, json["city"].displayText].compactMap { $0 }.joined(separator: " ")
        if !cityLine.isEmpty { lines.append(cityLine) }
        if let region = json["region"].displayText { lines.append(region) }
        if let country = json["country"].displayText { lines.append(country) }
        self.lines = lines
    }

    public var isEmpty: Bool { lines.isEmpty }
}
