/// ISO 4217 minor units: how many decimals a currency's amounts carry.
public enum Currency {
    private static let zero: Set<String> = ["BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "UYI", "VND", "VUV", "XAF", "XOF", "XPF"]
    private static let three: Set<String> = ["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"]
    private static let four: Set<String> = ["CLF", "UYW"]

    /// Decimals of `code`'s minor unit (2 unless ISO 4217 says otherwise).
    public static func minorUnits(_ code: String) -> Int {
        if zero.contains(code) { return 0 }
        if three.contains(code) { return 3 }
        if four.contains(code) { return 4 }
        return 2
    }

    /// Rounds an amount to the currency's minor unit, half away from zero.
    public static func round(_ amount: ExactDecimal, _ code: String) -> ExactDecimal {
        amount.rounded(to: minorUnits(code))
    }
}
