/// The formats `invoice.render` produces.
public enum RenderFormat: String, Sendable, CaseIterable {
    case pdf, html, text

    /// The MIME content type of documents in this format.
    public var contentType: String {
        switch self {
        case .pdf: "application/pdf"
        case .html: "text/html; charset=utf-8"
        case .text: "text/plain; charset=utf-8"
        }
    }
}
