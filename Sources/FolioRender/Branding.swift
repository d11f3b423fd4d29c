/// A tenant's look: accent colour, footer text, logo and an optional HTML template.
public struct Branding: Sendable {
    /// Colour of headings and rules, `"#RRGGBB"`; `nil` for the default.
    public var accentColor: String?
    /// Text printed at the foot of every page (and of the HTML and text documents).
    public var footer: String?
    /// A PNG image shown at the top left of the first page.
    public var logoPNG: [UInt8]?
    /// A mustache template that replaces the built-in HTML template.
    public var htmlTemplate: String?

    public init(accentColor: String? = nil, footer: String? = nil, logoPNG: [UInt8]? = nil, htmlTemplate: String? = nil) {
        self.accentColor = accentColor
        self.footer = footer
        self.logoPNG = logoPNG
        self.htmlTemplate = htmlTemplate
    }
}
