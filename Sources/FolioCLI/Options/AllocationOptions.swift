import ArgumentParser
import FolioWire

/// `--allocate INVOICE:AMOUNT`, optional and repeatable: how much of a payment goes to
/// which invoice, kept in the order given.
struct AllocationOptions: ParsableArguments {
    static let help = ArgumentHelp(
        "Apply AMOUNT to an invoice given by id (digits) or number (repeatable).", valueName: "invoice:amount")

    @Option(name: .customLong("allocate"), help: help, transform: AllocationSpec.parse)
    var allocations: [AllocationSpec] = []

    /// The `allocations` param, or nil when none were given (not JSON null: the param is left out).
    var json: JSON? {
        guard !allocations.isEmpty else { return Optional.none }
        return AllocationSpec.json(allocations)
    }
}
