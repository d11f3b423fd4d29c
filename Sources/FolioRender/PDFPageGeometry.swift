/// A4 in PostScript points, with the margins the documents use.
enum PDFPageGeometry {
    static let width = 595.28
    static let height = 841.89
    static let margin = 48.0
    static var left: Double { margin }
    static var right: Double { width - margin }
    static var contentWidth: Double { right - left }
    /// Content stops here; below is the footer.
    static let contentBottom = height - 64
    static let footerRule = height - 50
}
