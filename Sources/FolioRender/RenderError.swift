/// Why a document could not be rendered.
public enum RenderError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The logo is not a PNG image Cairo can read.
    case invalidLogo(String)
    /// The accent colour is not `#RRGGBB`.
    case invalidAccentColor(String)
    /// The HTML template is not valid mustache.
    case invalidTemplate(String)
    /// Cairo reported an error while drawing or writing the PDF.
    case cairo(String)
    /// A batch PDF was asked for without any documents.
    case noDocuments

    public var description: String {
        switch self {
        case .invalidLogo(let why): "invalid logo: \(why)"
        case .invalidAccentColor(let value): "invalid accent colour \"\(value)\" (expected #RRGGBB)"
        case .invalidTemplate(let why): "invalid HTML template: \(why)"
        case .cairo(let why): "PDF rendering failed: \(why)"
        case .noDocuments: "no documents to render"
        }
    }
}
