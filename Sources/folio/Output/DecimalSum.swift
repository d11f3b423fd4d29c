/// An exact running sum of decimal strings such as the server's money values
/// (`"1234.50"`, `"-0.125"`): digits are added as digits, never through floating point.
/// The sum carries the largest number of decimals among its terms.
struct DecimalSum {
    private var negative = false
    /// Magnitude scaled by 10^scale, least significant digit first.
    private var digits: [UInt8] = [0]
    private var scale = 0
    /// False once a term was not a plain decimal; the sum is then unknown.
    private var isValid = true

    mutating func add(_ text: String) {
        guard isValid, let term = Self.parse(text) else {
            isValid = false
            return
        }
        var termDigits = term.digits
        let common = max(scale, term.scale)
        digits.insert(contentsOf: repeatElement(0, count: common - scale), at: 0)
        termDigits.insert(contentsOf: repeatElement(0, count: common - term.scale), at: 0)
        scale = common
        if negative == term.negative {
            digits = Self.add(digits, termDigits)
        } else if Self.compare(digits, termDigits) >= 0 {
            digits = Self.subtract(digits, termDigits)
        } else {
            digits = Self.subtract(termDigits, digits)
            negative = term.negative
        }
        if digits.allSatisfy({ $0 == 0 }) { negative = false }
    }

    /// The sum in plain decimal notation, `nil` if a term was not a decimal.
    var text: String? {
        guard isValid else { return nil }
        var magnitude = digits
        while magnitude.count <= scale { magnitude.append(0) }
        let characters = magnitude.reversed().map { Character(String($0)) }
        var integer = String(characters.prefix(characters.count - scale))
        while integer.count > 1, integer.first == "0" { integer.removeFirst() }
        let fraction = String(characters.suffix(scale))
        return (negative ? "-" : "") + integer + (scale > 0 ? "." + fraction : "")
    }

    private static func parse(_ text: String) -> (negative: Bool, digits: [UInt8], scale: Int)? {
        var body = Substring(text)
        let negative = body.first == "-"
        if negative { body.removeFirst() }
        let parts = body.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        guard let integer = parts.first, !integer.isEmpty, parts.allSatisfy({ String($0).isAllDigits }) else { return nil }
        let fraction = parts.count == 2 ? parts[1] : ""
        let all = (integer + fraction).utf8.map { $0 - UInt8(ascii: "0") }
        return (negative, all.reversed(), fraction.count)
    }

    private static func add(_ a: [UInt8], _ b: [UInt8]) -> [UInt8] {
        var result: [UInt8] = []
        var carry: UInt8 = 0
        for i in 0..<max(a.count, b.count) {
            let s = (i < a.count ? a[i] : 0) + (i < b.count ? b[i] : 0) + carry
            result.append(s % 10)
            carry = s / 10
        }
        if carry > 0 { result.append(carry) }
        return result
    }

    /// `a - b` for magnitudes with a >= b.
    private static func subtract(_ a: [UInt8], _ b: [UInt8]) -> [UInt8] {
        var result: [UInt8] = []
        var borrow = 0
        for i in 0..<a.count {
            var d = Int(a[i]) - Int(i < b.count ? b[i] : 0) - borrow
            borrow = d < 0 ? 1 : 0
            if d < 0 { d += 10 }
            result.append(UInt8(d))
        }
        return result
    }

    private static func compare(_ a: [UInt8], _ b: [UInt8]) -> Int {
        let n = max(a.count, b.count)
        for i in stride(from: n - 1, through: 0, by: -1) {
            let x = i < a.count ? a[i] : 0
            let y = i < b.count ? b[i] : 0
            if x != y { return x < y ? -1 : 1 }
        }
        return 0
    }
}
