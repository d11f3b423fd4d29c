import ArgumentParser
import FolioWire

/// `--line` and `--item`: an invoice's lines, kept in the order given.
struct InvoiceLineOptions: ParsableArguments {
    @Option(
        name: .customLong("line"),
        help: ArgumentHelp(
            "A line: description, quantity, unit price, optional tax rate code, unit (UN/ECE Rec 20, e.g. HUR), "
                + "discount (amount or N%) and its reason (repeatable; write ':' in the description as '\\:').",
            valueName: "desc:qty:price[:tax[:unit[:discount[:reason]]]]"),
        transform: LineSpec.described)
    var lines: [LineSpec] = []

    @Option(
        name: .customLong("item"),
        help: ArgumentHelp(
            "A line from an item: its id, quantity and optionally a price overriding the item's (repeatable).",
            valueName: "item-id:qty[:price]"),
        transform: LineSpec.item)
    var items: [LineSpec] = []

    /// The lines in command-line order, or nil when none were given.
    var json: JSON? {
        guard !lines.isEmpty || !items.isEmpty else { return nil }
        return .array(OptionOrder.merge(lines, named: "line", items, named: "item").map(\.json))
    }
}
