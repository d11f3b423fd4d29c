import ArgumentParser
import FolioWire

/// `--idempotency-key`, taken by every mutating command.
struct IdempotencyOptions: ParsableArguments {
    @Option(help: ArgumentHelp(
        "Makes a retry return the first result instead of acting twice.", valueName: "key"))
    var idempotencyKey: String?

    /// Adds `idempotency_key` to `params` when a key was given.
    func apply(to params: inout JSONObject) {
        params.set("idempotency_key", idempotencyKey)
    }
}
