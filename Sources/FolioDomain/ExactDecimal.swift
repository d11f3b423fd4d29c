/// An exact decimal number: `significand x 10^-scale`. Money and quantities use it
/// wherever Swift handles amounts, so no value passes through floating point.
public struct ExactDecimal: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var significand: Int128
    public var scale: Int

    public init(significand: Int128, scale: Int) {
        self.significand = significand
        self.scale = scale
    }

    public init(_ integer: Int) { self.init(significand: Int128(integer), scale: 0) }

    /// Parses `-?digits(.digits)?`; nil for anything else (exponents, spaces, "1.", ".5").
    public init?(_ text: some StringProtocol) {
        var utf8 = Substring(text).utf8[...]
        var negative = false
        if utf8.first == UInt8(ascii: "-") {
            negative = true
            utf8 = utf8.dropFirst()
        }
        var value: Int128 = 0
        var scale = 0
        var digits = 0
        var seenPoint = false
        var fractionDigits = 0
        for byte in utf8 {
            if byte == UInt8(ascii: ".") {
                guard !seenPoint, digits > 0 else { return nil }
                seenPoint = true
                continue
            }
            guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
            digits += 1
            guard digits <= 36 else { return nil }
            value = value * 10 + Int128(byte - UInt8(ascii: "0"))
            if seenPoint {
                scale += 1
                fractionDigits += 1
            }
        }
        guard digits > 0, !(seenPoint && fractionDigits == 0) else { return nil }
        self.init(significand: negative ? -value : value, scale: scale)
    }

    public static let zero = ExactDecimal(significand: 0, scale: 0)

    /// Digits before the decimal point (at least 1).
    public var integerDigits: Int {
        var n = significand.magnitude
        for _ in 0..<scale { n /= 10 }
        var count = 1
        while n >= 10 { n /= 10; count += 1 }
        return count
    }

    public var isNegative: Bool { significand < 0 }

    private static func power(_ n: Int) -> Int128 {
        var p: Int128 = 1
        for _ in 0..<n { p *= 10 }
        return p
    }

    /// The same value with `scale` decimals; only ever adds zeros.
    private func widened(to newScale: Int) -> Int128 {
        significand * Self.power(newScale - scale)
    }

    /// Rounds to `places` decimals, half away from zero.
    public func rounded(to places: Int) -> ExactDecimal {
        if places >= scale {
            return ExactDecimal(significand: widened(to: places), scale: places)
        }
        let divisor = Self.power(scale - places)
        let (q, remainder) = significand.quotientAndRemainder(dividingBy: divisor)
        if remainder.magnitude * 2 >= divisor.magnitude {
            return ExactDecimal(significand: q + (significand < 0 ? -1 : 1), scale: places)
        }
        return ExactDecimal(significand: q, scale: places)
    }

    public static func + (a: ExactDecimal, b: ExactDecimal) -> ExactDecimal {
        let s = max(a.scale, b.scale)
        return ExactDecimal(significand: a.widened(to: s) + b.widened(to: s), scale: s)
    }

    public static func * (a: ExactDecimal, b: ExactDecimal) -> ExactDecimal {
        ExactDecimal(significand: a.significand * b.significand, scale: a.scale + b.scale)
    }

    /// `self x percent / 100`, exact.
    public func percent(_ rate: ExactDecimal) -> ExactDecimal {
        ExactDecimal(significand: significand * rate.significand, scale: scale + rate.scale + 2)
    }

    public static func < (a: ExactDecimal, b: ExactDecimal) -> Bool {
        let s = max(a.scale, b.scale)
        return a.widened(to: s) < b.widened(to: s)
    }

    public static func == (a: ExactDecimal, b: ExactDecimal) -> Bool {
        let s = max(a.scale, b.scale)
        return a.widened(to: s) == b.widened(to: s)
    }

    public func hash(into hasher: inout Hasher) {
        // Equal values hash equally whatever their scale.
        var s = significand
        var sc = scale
        while sc > 0, s % 10 == 0 { s /= 10; sc -= 1 }
        hasher.combine(s)
        hasher.combine(sc)
    }

    /// Plain notation with exactly `scale` decimals, e.g. "1234.50".
    public var description: String {
        let digits = String(significand.magnitude)
        let sign = significand < 0 ? "-" : ""
        guard scale > 0 else { return sign + digits }
        let padded = String(repeating: "0", count: max(0, scale + 1 - digits.count)) + digits
        let point = padded.index(padded.endIndex, offsetBy: -scale)
        return sign + padded[..<point] + "." + padded[point...]
    }
}
