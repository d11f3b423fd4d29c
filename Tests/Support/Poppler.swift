import Foundation

/// Reads PDFs back with poppler-utils (`pdftotext`, `pdfinfo`, `pdffonts`): the one
/// helper every test target uses to check what a PDF says.
public enum Poppler {
    public struct Failure: Error, CustomStringConvertible { public var description: String }

    /// The text of the PDF (or of pages `first...last`), laid out like the page.
    public static func text(_ pdf: [UInt8], first: Int? = nil, last: Int? = nil) throws -> String {
        var args = ["-layout"]
        if let first { args += ["-f", String(first)] }
        if let last { args += ["-l", String(last)] }
        return try withFile(pdf) { path in try run("pdftotext", args + [path, "-"]) }
    }

    /// The text of each page (pdftotext separates pages with form feeds).
    public static func pages(_ pdf: [UInt8]) throws -> [String] {
        var pages = try text(pdf).components(separatedBy: "\u{0C}")
        if pages.last?.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty == true { pages.removeLast() }
        return pages
    }

    public static func pageCount(_ pdf: [UInt8]) throws -> Int {
        let info = try withFile(pdf) { path in try run("pdfinfo", [path]) }
        for line in info.split(separator: "\n") where line.hasPrefix("Pages:") {
            if let n = Int(line.dropFirst("Pages:".count).trimmingCharacters(in: .whitespaces)) { return n }
        }
        throw Failure(description: "no page count in pdfinfo output:\n\(info)")
    }

    /// The fonts pdffonts lists.
    public static func fonts(_ pdf: [UInt8]) throws -> String {
        try withFile(pdf) { path in try run("pdffonts", [path]) }
    }

    /// The text of a PDF file, laid out like the page.
    public static func text(ofFile path: String) throws -> String {
        try run("pdftotext", ["-layout", path, "-"])
    }

    private static func withFile<T>(_ bytes: [UInt8], _ body: (String) throws -> T) throws -> T {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("folio-render-\(UUID().uuidString).pdf")
        try Data(bytes).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        return try body(url.path)
    }

    private static func run(_ tool: String, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/" + tool)
        process.arguments = arguments
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        // Read to EOF first, then wait: waiting first can deadlock on a full pipe.
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw Failure(description: "\(tool) exited with \(process.terminationStatus)")
        }
        return String(decoding: data, as: UTF8.self)
    }
}
