import ArgumentParser
import FolioWire

/// One document line given on the command line, already in its wire form
/// (`{description, qty, unit_price, tax_rate?}` or `{item_id, qty, unit_price?}`).
/// Only the shape is checked here; the values are the server's to judge.
struct LineSpec {
    /// The line as the server takes it.
    let json: JSON

    /// Parses `--line "DESCRIPTION:QTY:UNIT_PRICE[:TAXCODE]"`. An empty tax code sends
    /// `tax_rate: null` (no tax).
    static func described(_ text: String) throws -> LineSpec {
        let parts = ColonFields.split(text)
        guard parts.count == 3 || parts.count == 4 else {
            throw ValidationError(
                "expected DESCRIPTION:QTY:UNIT_PRICE[:TAXCODE] (write a colon inside the description as \\:), "
                    + "got \(parts.count) part\(parts.count == 1 ? "" : "s")")
        }
        var line: JSONObject = ["description": .string(parts[0]), "qty": .string(parts[1]), "unit_price": .string(parts[2])]
        if parts.count == 4 { line.set("tax_rate", clearable: parts[3]) }
        return LineSpec(json: .object(line))
    }

    /// Parses `--item "ITEM_ID:QTY[:UNIT_PRICE]"`: the item's name, price and tax rate
    /// apply unless the price is given.
    static func item(_ text: String) throws -> LineSpec {
        let parts = ColonFields.split(text)
        guard parts.count == 2 || parts.count == 3 else {
            throw ValidationError("expected ITEM_ID:QTY[:UNIT_PRICE], got \(parts.count) part\(parts.count == 1 ? "" : "s")")
        }
        guard parts[0].isAllDigits, let id = Int64(parts[0]) else {
            throw ValidationError("ITEM_ID must be an item's numeric id, got '\(parts[0])'")
        }
        var line: JSONObject = ["item_id": JSON(id), "qty": .string(parts[1])]
        if parts.count == 3 { line.set("unit_price", parts[2]) }
        return LineSpec(json: .object(line))
    }
}
