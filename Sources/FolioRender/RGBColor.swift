/// An sRGB colour parsed from `"#RRGGBB"`.
struct RGBColor: Sendable, Equatable {
    var red: Double
    var green: Double
    var blue: Double

    static let defaultAccent = RGBColor(red: 0x1F / 255.0, green: 0x4E / 255.0, blue: 0x79 / 255.0)
    static let text = RGBColor(red: 0.1, green: 0.1, blue: 0.1)
    static let muted = RGBColor(red: 0.4, green: 0.4, blue: 0.4)
    static let rule = RGBColor(red: 0.8, green: 0.8, blue: 0.8)

    init(red: Double, green: Double, blue: Double) {
        self.red = red
        self.green = green
        self.blue = blue
    }

    /// Parses `#RRGGBB` (the `#` is optional); `nil` for anything else.
    init?(hex: String) {
        var digits = Substring(hex)
        if digits.hasPrefix("#") { digits = digits.dropFirst() }
        guard digits.count == 6, digits.allSatisfy(\.isHexDigit), let value = UInt32(digits, radix: 16) else { return nil }
        red = Double((value >> 16) & 0xFF) / 255.0
        green = Double((value >> 8) & 0xFF) / 255.0
        blue = Double(value & 0xFF) / 255.0
    }

    /// The colour as `#rrggbb`, for CSS.
    var hex: String {
        func byte(_ v: Double) -> String {
            let s = String(Int((v * 255).rounded()), radix: 16)
            return s.count == 1 ? "0" + s : s
        }
        return "#" + byte(red) + byte(green) + byte(blue)
    }

    /// The branding's accent colour, or the default one; throws for a malformed value.
    static func accent(of branding: Branding) throws -> RGBColor {
        guard let text = branding.accentColor, !text.isEmpty else { return .defaultAccent }
        guard let color = RGBColor(hex: text) else { throw RenderError.invalidAccentColor(text) }
        return color
    }
}
