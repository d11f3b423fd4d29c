/// The type styles of the PDF documents, all DejaVu Sans (Pango falls back through
/// fontconfig for scripts it lacks, e.g. CJK).
enum PDFFont: String {
    case body = "DejaVu Sans 9"
    case bodyBold = "DejaVu Sans Bold 9"
    case small = "DejaVu Sans 7.5"
    case heading = "DejaVu Sans Bold 8"
    case sellerName = "DejaVu Sans Bold 13"
    case title = "DejaVu Sans Bold 18"
}
