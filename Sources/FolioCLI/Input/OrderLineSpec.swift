import ArgumentParser
import FolioWire

extension LineSpec {
    /// Parses an order's `--line "SKU:QTY[:UNIT_PRICE]"`: the item named by its sku (an sku
    /// the server does not know is kept and reported as a discrepancy).
    static func sku(_ text: String) throws -> LineSpec {
        let parts = ColonFields.split(text)
        guard parts.count == 2 || parts.count == 3 else {
            throw ValidationError("expected SKU:QTY[:UNIT_PRICE] (write a colon inside the sku as \\:), "
                                  + "got \(parts.count) part\(parts.count == 1 ? "" : "s")")
        }
        var line: JSONObject = ["sku": .string(parts[0]), "qty": .string(parts[1])]
        if parts.count == 3 { line.set("unit_price", parts[2]) }
        return LineSpec(json: .object(line))
    }

    /// Parses a delivery's `--line "LINE_NO:QTY"`: how much of the order's line `LINE_NO` ships.
    static func delivered(_ text: String) throws -> LineSpec {
        let parts = ColonFields.split(text)
        guard parts.count == 2, parts[0].isAllDigits, let lineNo = Int(parts[0]) else {
            throw ValidationError("expected LINE_NO:QTY (the order's line number and the quantity shipped), got '\(text)'")
        }
        return LineSpec(json: ["line_no": JSON(lineNo), "qty": .string(parts[1])])
    }
}
