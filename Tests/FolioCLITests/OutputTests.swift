@testable import FolioCLI
import FolioText
import FolioWire
import Testing

/// Tables, totals, CSV and display text as `folio` prints them.
@Suite struct OutputTests {
    @Test func tableColumnsAlignInTerminalColumns() {
        let table = TextTable(columns: [.init(title: "NAME"), .init(title: "TOTAL", alignment: .right, ruled: true)],
                              rows: [["東京都 Shop", "1.00"], ["Zoë", "1234.50"]], footer: [["", "1235.50"]])
        let lines = table.render().split(separator: "\n").map(String.init)
        #expect(lines.count == 5)
        // Every line's right-aligned column ends in the same terminal column.
        #expect(Set(lines.map { TerminalWidth.of($0) }).count == 1, "\(lines)")
        #expect(lines[0] == "NAME           TOTAL")
        #expect(lines[1] == "東京都 Shop     1.00")
    }

    @Test func cellsStayOnOneLine() {
        let table = TextTable(columns: [.init(title: "A"), .init(title: "B")], rows: [["x\ny", "tab\there"]])
        #expect(table.render().split(separator: "\n").count == 2)
    }

    @Test func moneyTotalsAreExactPerCurrency() {
        let view = ListView(noun: Noun("invoice"), columns: [.init("CUR", "currency", .currency), .init("NUMBER", "number"), .init("TOTAL", "total", .money)])
        let items: [JSON] = [
            ["currency": "EUR", "number": "A", "total": "0.10"],
            ["currency": "JPY", "number": "B", "total": "1000"],
            ["currency": "EUR", "number": "C", "total": "0.20"],
            ["currency": "EUR", "number": "D", "total": "-0.005"],
        ]
        #expect(view.render([]) == "no invoices")
        let text = view.render(items)
        #expect(text.contains("EUR  TOTAL    0.295"), "\(text)")
        #expect(text.contains("JPY  TOTAL     1000"), "\(text)")
        #expect(ListView.exactSum(["0.1", "0.2"])?.description == "0.3")
        #expect(ListView.exactSum(["1", "n/a"]) == nil)
    }

    @Test func csvQuotesOnlyWhatNeedsIt() {
        #expect(CSV.render([["a", "b,c", "say \"hi\"", " pad", "two\nlines"]])
            == "a,\"b,c\",\"say \"\"hi\"\"\",\" pad\",\"two\nlines\"\r\n")
    }

    @Test func displayTextReadsAddressesAndValues() {
        let address: JSON = ["line1": "1 Main St", "postal_code": "90-001", "city": "Łódź", "country": "PL"]
        #expect(address.displayText == "1 Main St, 90-001 Łódź, PL")
        #expect(JSON.bool(true).displayText == "yes")
        #expect(JSON.null.displayText == "")
        #expect((["a", "", "b"] as JSON).displayText == "a, b")
        #expect((["total": "1.50"] as JSON).shown("missing") == "-")
    }
}
