/// Restores the order in which the values of two repeatable options were given.
/// ArgumentParser collects each option into its own array; invoice lines must keep
/// the user's order across `--line` and `--item`, so the raw arguments are consulted.
enum OptionOrder {
    /// Interleaves `first` (values of `--firstName`) and `second` (of `--secondName`) as they
    /// appear in `arguments`. Falls back to `first + second` if the arguments do not account
    /// for every value.
    static func merge<Value>(
        _ first: [Value], named firstName: String,
        _ second: [Value], named secondName: String,
        arguments: [String] = Array(CommandLine.arguments.dropFirst())
    ) -> [Value] {
        let sequence = occurrences(of: ["--" + firstName, "--" + secondName], in: arguments)
        guard sequence.filter({ $0 == 0 }).count == first.count, sequence.filter({ $0 == 1 }).count == second.count else {
            return first + second
        }
        var a = first.makeIterator()
        var b = second.makeIterator()
        return sequence.compactMap { $0 == 0 ? a.next() : b.next() }
    }

    /// For each use of one of `names` (as `--name value` or `--name=value`), the index of the name.
    private static func occurrences(of names: [String], in arguments: [String]) -> [Int] {
        var result: [Int] = []
        var skipNext = false
        for argument in arguments {
            if skipNext {
                skipNext = false
                continue
            }
            if argument == "--" { break }
            for (index, name) in names.enumerated() {
                if argument == name {
                    result.append(index)
                    skipNext = true
                } else if argument.hasPrefix(name + "=") {
                    result.append(index)
                }
            }
        }
        return result
    }
}
