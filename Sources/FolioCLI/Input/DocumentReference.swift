import ArgumentParser
import FolioWire

/// How a command line names a document or item: digits are its id, anything else
/// its key (an invoice's number such as `INV-000042`, an item's sku).
struct DocumentReference: ExpressibleByArgument {
    /// Which of the two the argument is.
    enum Kind {
        case id(Int64)
        case key(String)
    }

    let kind: Kind

    init?(argument: String) {
        guard !argument.isEmpty else { return nil }
        if argument.isAllDigits, let id = Int64(argument) {
            kind = .id(id)
        } else {
            kind = .key(argument)
        }
    }

    /// Params naming it: `{idField: id}` or `{keyField: key}`.
    func params(idField: String = "id", keyField: String = "number") -> JSONObject {
        switch kind {
        case .id(let id): [idField: JSON(id)]
        case .key(let key): [keyField: .string(key)]
        }
    }
}
