import ArgumentParser
import FolioWire

/// One allocation of a payment given on the command line as `INVOICE:AMOUNT`, in its
/// wire form `{invoice_id | number, amount}`: digits name the invoice by id, anything
/// else by number. Only the shape is checked here.
struct AllocationSpec {
    let json: JSON

    /// Parses `--allocate "INVOICE:AMOUNT"`; the amount follows the last colon, so an
    /// invoice number may itself contain colons.
    static func parse(_ text: String) throws -> AllocationSpec {
        let parts = ColonFields.split(text)
        guard parts.count >= 2 else { throw ValidationError("expected INVOICE:AMOUNT, got '\(text)'") }
        let invoice = parts.dropLast().joined(separator: ":")
        guard let reference = DocumentReference(argument: invoice) else {
            throw ValidationError("INVOICE is missing in '\(text)'")
        }
        guard let amount = parts.last, !amount.isEmpty else {
            throw ValidationError("AMOUNT is missing in '\(text)'")
        }
        var allocation = reference.params(idField: "invoice_id", keyField: "number")
        allocation["amount"] = .string(amount)
        return AllocationSpec(json: .object(allocation))
    }

    /// The `allocations` param.
    static func json(_ allocations: [AllocationSpec]) -> JSON {
        .array(allocations.map(\.json))
    }
}
