import CPangoCairo

// The only unsafe code of FolioRender: Cairo's stream callbacks.

/// Bytes Cairo writes, collected in memory.
private final class ByteSink {
    var bytes: [UInt8] = []
}

/// Bytes Cairo reads, handed out in order.
private final class ByteSource {
    let bytes: [UInt8]
    var offset = 0
    init(_ bytes: [UInt8]) { self.bytes = bytes }
}

private let writeToSink: cairo_write_func_t = { closure, data, length in
    guard let closure, let data else { return CAIRO_STATUS_WRITE_ERROR }
    let sink = Unmanaged<ByteSink>.fromOpaque(closure).takeUnretainedValue()
    sink.bytes.append(contentsOf: UnsafeBufferPointer(start: data, count: Int(length)))
    return CAIRO_STATUS_SUCCESS
}

private let readFromSource: cairo_read_func_t = { closure, data, length in
    guard let closure, let data else { return CAIRO_STATUS_READ_ERROR }
    let source = Unmanaged<ByteSource>.fromOpaque(closure).takeUnretainedValue()
    let count = Int(length)
    guard source.bytes.count - source.offset >= count else { return CAIRO_STATUS_READ_ERROR }
    source.bytes.withUnsafeBufferPointer { buffer in
        data.update(from: buffer.baseAddress! + source.offset, count: count)
    }
    source.offset += count
    return CAIRO_STATUS_SUCCESS
}

enum CairoIO {
    /// Creates a PDF surface of the given size (points), lets `draw` paint on it, finishes it
    /// and returns the PDF's bytes.
    static func makePDF(width: Double, height: Double, draw: (OpaquePointer) throws -> Void) throws -> [UInt8] {
        let sink = ByteSink()
        let unmanaged = Unmanaged.passRetained(sink)
        defer { unmanaged.release() }
        guard let surface = cairo_pdf_surface_create_for_stream(writeToSink, unmanaged.toOpaque(), width, height) else {
            throw RenderError.cairo("cannot create a PDF surface")
        }
        defer { cairo_surface_destroy(surface) }
        try check(cairo_surface_status(surface))
        cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_CREATOR, "Folio")
        try draw(surface)
        cairo_surface_finish(surface)
        try check(cairo_surface_status(surface))
        return sink.bytes
    }

    /// Decodes a PNG into an image surface (the caller destroys it).
    static func imageSurface(png: [UInt8]) throws -> OpaquePointer {
        guard png.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) else {
            throw RenderError.invalidLogo("not a PNG image")
        }
        let source = ByteSource(png)
        let surface = withExtendedLifetime(source) {
            cairo_image_surface_create_from_png_stream(readFromSource, Unmanaged.passUnretained(source).toOpaque())
        }
        guard let surface else { throw RenderError.invalidLogo("cannot decode the PNG image") }
        let status = cairo_surface_status(surface)
        guard status == CAIRO_STATUS_SUCCESS,
              cairo_image_surface_get_width(surface) > 0, cairo_image_surface_get_height(surface) > 0
        else {
            cairo_surface_destroy(surface)
            throw RenderError.invalidLogo(String(cString: cairo_status_to_string(status)))
        }
        return surface
    }

    /// Encodes an image surface as PNG (used to make logos and in tests).
    static func png(of surface: OpaquePointer) throws -> [UInt8] {
        let sink = ByteSink()
        let status = withExtendedLifetime(sink) {
            cairo_surface_write_to_png_stream(surface, writeToSink, Unmanaged.passUnretained(sink).toOpaque())
        }
        try check(status)
        return sink.bytes
    }

    static func check(_ status: cairo_status_t) throws {
        guard status == CAIRO_STATUS_SUCCESS else { throw RenderError.cairo(String(cString: cairo_status_to_string(status))) }
    }
}

extension CairoIO {
    static func destroy(_ surface: OpaquePointer) { cairo_surface_destroy(surface) }
}
