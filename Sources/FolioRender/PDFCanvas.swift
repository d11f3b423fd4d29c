import CPangoCairo

/// Text and shapes on a Cairo context, with text laid out by Pango at 72 dpi so that
/// font sizes are points. While `drawing` is false every call only measures: the layout
/// pass that counts the pages runs the same code as the drawing pass.
final class PDFCanvas {
    let cr: OpaquePointer
    private let pango: OpaquePointer
    private var fonts: [PDFFont: OpaquePointer] = [:]
    var drawing = false

    enum Alignment { case left, right, center }

    /// A laid out piece of text; `height` and `width` in points.
    final class TextBlock {
        let layout: OpaquePointer
        let width: Double
        let height: Double
        init(layout: OpaquePointer) {
            self.layout = layout
            var w: Int32 = 0
            var h: Int32 = 0
            pango_layout_get_size(layout, &w, &h)
            width = Double(w) / Double(PANGO_SCALE)
            height = Double(h) / Double(PANGO_SCALE)
        }
        deinit { g_object_unref(UnsafeMutableRawPointer(layout)) }
    }

    init(surface: OpaquePointer) throws {
        guard let cr = cairo_create(surface) else { throw RenderError.cairo("cannot create a Cairo context") }
        self.cr = cr
        guard let pango = pango_cairo_create_context(cr) else {
            cairo_destroy(cr)
            throw RenderError.cairo("cannot create a Pango context")
        }
        self.pango = pango
        pango_cairo_context_set_resolution(pango, 72)
        try CairoIO.check(cairo_status(cr))
    }

    deinit {
        for font in fonts.values { pango_font_description_free(font) }
        g_object_unref(UnsafeMutableRawPointer(pango))
        cairo_destroy(cr)
    }

    private func font(_ font: PDFFont) -> OpaquePointer {
        if let f = fonts[font] { return f }
        let f = pango_font_description_from_string(font.rawValue)!
        fonts[font] = f
        return f
    }

    /// Lays out `text`; with a `width` it wraps at word boundaries (inside words when a word
    /// is wider than the column) and aligns within that width.
    func text(_ text: String, font: PDFFont, width: Double? = nil, alignment: Alignment = .left) -> TextBlock {
        let layout = pango_layout_new(pango)!
        pango_layout_set_font_description(layout, self.font(font))
        if let width {
            pango_layout_set_width(layout, Int32(width * Double(PANGO_SCALE)))
            pango_layout_set_wrap(layout, PANGO_WRAP_WORD_CHAR)
        }
        switch alignment {
        case .left: pango_layout_set_alignment(layout, PANGO_ALIGN_LEFT)
        case .right: pango_layout_set_alignment(layout, PANGO_ALIGN_RIGHT)
        case .center: pango_layout_set_alignment(layout, PANGO_ALIGN_CENTER)
        }
        pango_layout_set_text(layout, text, -1)
        return TextBlock(layout: layout)
    }

    /// Draws a block with its top left corner at (x, y).
    func draw(_ block: TextBlock, x: Double, y: Double, color: RGBColor = .text) {
        guard drawing else { return }
        setColor(color)
        cairo_move_to(cr, x, y)
        pango_cairo_show_layout(cr, block.layout)
    }

    /// Lays out and draws in one go; returns the height used.
    @discardableResult
    func draw(_ string: String, font: PDFFont, x: Double, y: Double, width: Double? = nil,
              alignment: Alignment = .left, color: RGBColor = .text) -> Double {
        let block = text(string, font: font, width: width, alignment: alignment)
        draw(block, x: x, y: y, color: color)
        return block.height
    }

    func line(x1: Double, y1: Double, x2: Double, y2: Double, width: Double = 0.5, color: RGBColor = .rule) {
        guard drawing else { return }
        setColor(color)
        cairo_set_line_width(cr, width)
        cairo_move_to(cr, x1, y1)
        cairo_line_to(cr, x2, y2)
        cairo_stroke(cr)
    }

    func fillRect(x: Double, y: Double, width: Double, height: Double, color: RGBColor) {
        guard drawing else { return }
        setColor(color)
        cairo_rectangle(cr, x, y, width, height)
        cairo_fill(cr)
    }

    /// Draws an image scaled to fit inside the box (keeping its aspect ratio, never enlarged
    /// beyond 2x), top left aligned; returns the drawn size.
    @discardableResult
    func image(_ surface: OpaquePointer, x: Double, y: Double, maxWidth: Double, maxHeight: Double) -> (width: Double, height: Double) {
        let w = Double(cairo_image_surface_get_width(surface))
        let h = Double(cairo_image_surface_get_height(surface))
        let scale = min(maxWidth / w, maxHeight / h, 2)
        guard drawing else { return (w * scale, h * scale) }
        cairo_save(cr)
        cairo_translate(cr, x, y)
        cairo_scale(cr, scale, scale)
        cairo_set_source_surface(cr, surface, 0, 0)
        cairo_rectangle(cr, 0, 0, w, h)
        cairo_fill(cr)
        cairo_restore(cr)
        return (w * scale, h * scale)
    }

    /// The size `image` would draw at.
    func imageSize(_ surface: OpaquePointer, maxWidth: Double, maxHeight: Double) -> (width: Double, height: Double) {
        let w = Double(cairo_image_surface_get_width(surface))
        let h = Double(cairo_image_surface_get_height(surface))
        let scale = min(maxWidth / w, maxHeight / h, 2)
        return (w * scale, h * scale)
    }

    func showPage() {
        guard drawing else { return }
        cairo_show_page(cr)
    }

    func check() throws { try CairoIO.check(cairo_status(cr)) }

    private func setColor(_ c: RGBColor) { cairo_set_source_rgb(cr, c.red, c.green, c.blue) }
}
