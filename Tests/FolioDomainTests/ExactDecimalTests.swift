import FolioDomain
import Testing

@Suite struct ExactDecimalTests {
    @Test(arguments: [
        ("0.005", 2, "0.01"), ("-0.005", 2, "-0.01"), ("0.0049", 2, "0.00"), ("2.5", 0, "3"), ("-2.5", 0, "-3"),
        ("1.0005", 3, "1.001"), ("123.456789", 6, "123.456789"), ("7", 2, "7.00"), ("0.125", 2, "0.13"),
    ])
    func roundsHalfAwayFromZero(value: String, places: Int, expected: String) {
        #expect(ExactDecimal(value)!.rounded(to: places).description == expected)
    }

    @Test func lineAmountsMatchTheContract() {
        // round(qty x unit_price) per line, then tax on the rounded amount.
        let amount = (ExactDecimal("3")! * ExactDecimal("0.333333")!).rounded(to: 2)
        #expect(amount.description == "1.00")
        #expect(amount.percent(ExactDecimal("20")!).rounded(to: 2).description == "0.20")
        #expect((ExactDecimal("2.5")! * ExactDecimal("101")!).rounded(to: 0).description == "253")
        #expect((ExactDecimal("1")! * ExactDecimal("1.2345")!).rounded(to: 3).description == "1.235")
    }

    @Test(arguments: ["", "-", "1.", ".5", "1e5", "1,5", " 1", "+1", "1.2.3", "abc"])
    func rejectsNonPlainDecimals(text: String) {
        #expect(ExactDecimal(text) == nil)
    }

    @Test func comparesAcrossScales() {
        #expect(ExactDecimal("1.50")! == ExactDecimal("1.5")!)
        #expect(ExactDecimal("1.49")! < ExactDecimal("1.5")!)
        #expect((ExactDecimal("0.1")! + ExactDecimal("0.2")!) == ExactDecimal("0.3")!)
        #expect(ExactDecimal("12345.678")!.integerDigits == 5)
    }
}
