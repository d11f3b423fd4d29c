import ArgumentParser
import FolioWire

/// A number of days for payment terms; an empty value ("") sends null, which falls
/// back to the default (the customer's, then the tenant's).
struct Days: ExpressibleByArgument {
    let json: JSON

    init?(argument: String) {
        if argument.isEmpty {
            json = .null
        } else if argument.isAllDigits, let days = Int64(argument) {
            json = JSON(days)
        } else {
            return nil
        }
    }
}

extension Days: ParamValue {
    var paramJSON: JSON { json }
}
