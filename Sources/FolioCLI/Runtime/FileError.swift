/// A local file that could not be read or written (`-o FILE`, an import's CSV file).
struct FileError: Error, CustomStringConvertible {
    enum Action: String {
        case read, write
    }

    let path: String
    let action: Action
    let reason: String

    init(path: String, action: Action, reason: String) {
        self.path = path
        self.action = action
        self.reason = reason
    }

    /// For a failed system call, with its `errno` value.
    init(path: String, action: Action, code: Int32) {
        self.init(path: path, action: action, reason: Platform.errorText(code))
    }

    var description: String { "cannot \(action.rawValue) \(path): \(reason)" }
}
