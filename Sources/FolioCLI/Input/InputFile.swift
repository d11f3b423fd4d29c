/// A text file named on the command line (a CSV to import), `-` for standard input.
enum InputFile {
    /// The file's contents, which must be UTF-8.
    static func text(_ path: String) throws(FileError) -> String {
        let bytes = path == "-" ? Platform.readStandardInput() : try Platform.readFile(path)
        let text = String(decoding: bytes, as: UTF8.self)
        guard text.utf8.elementsEqual(bytes) else {
            throw FileError(path: path == "-" ? "standard input" : path, action: .read, reason: "not UTF-8 text")
        }
        return text
    }
}
