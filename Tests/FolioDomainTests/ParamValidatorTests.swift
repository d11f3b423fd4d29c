import FolioDomain
import FolioWire
import Testing

@Suite struct ParamValidatorTests {
    let create = MethodCatalog.spec("invoice.create")!

    private func field(of params: JSONObject) -> String? {
        do {
            try create.validate(params)
            return nil
        } catch {
            return error.field
        }
    }

    @Test func acceptsAValidInvoice() {
        #expect(field(of: ["tenant": "acme", "customer_id": 1, "lines": [["description": "Work", "qty": "1.5", "unit_price": "100.00"]]]) == nil)
    }

    @Test(arguments: [
        (#"{"tenant":"acme","lines":[{"description":"x","qty":"1","unit_price":"1"}]}"#, "customer_id"),
        (#"{"tenant":"Acme!","customer_id":1,"lines":[{"qty":"1"}]}"#, "tenant"),
        (#"{"tenant":"acme","customer_id":1,"lines":[]}"#, "lines"),
        (#"{"tenant":"acme","customer_id":1,"lines":[{"description":"x","qty":1,"unit_price":"1"}]}"#, "lines[0].qty"),
        (#"{"tenant":"acme","customer_id":1,"lines":[{"qty":"1"},{"qty":"1.0001"}]}"#, "lines[1].qty"),
        (#"{"tenant":"acme","customer_id":1,"lines":[{"qty":"1","unit_price":"1.0000001"}]}"#, "lines[0].unit_price"),
        (#"{"tenant":"acme","customer_id":1,"lines":[{"qty":"-1"}]}"#, "lines[0].qty"),
        (#"{"tenant":"acme","customer_id":1,"lines":[{"qty":"1","qyt":"2"}]}"#, "lines[0].qyt"),
        (#"{"tenant":"acme","customer_id":"1","lines":[{"qty":"1"}]}"#, "customer_id"),
        (#"{"tenant":"acme","customer_id":0,"lines":[{"qty":"1"}]}"#, "customer_id"),
        (#"{"tenant":"acme","customer_id":1,"lines":[{"qty":"1"}],"currency":"EURO"}"#, "currency"),
        (#"{"tenant":"acme","customer_id":1,"lines":[{"qty":"100000000000000"}]}"#, "lines[0].qty"),
        (#"{"tenant":"acme","customer_id":1,"lines":[{"qty":"1"}],"idempotency_key":""}"#, "idempotency_key"),
    ])
    func namesTheOffendingField(params: String, expected: String) throws {
        #expect(field(of: try JSONParser.parse(params).objectValue!) == expected)
    }

    @Test func datesAreCalendarDates() {
        let issue = MethodCatalog.spec("invoice.issue")!
        #expect(throws: RPCError.self) { try issue.validate(["tenant": "acme", "id": 1, "issue_date": "2026-02-30"]) }
        #expect(throws: Never.self) { try issue.validate(["tenant": "acme", "id": 1, "issue_date": "2024-02-29"]) }
    }

    @Test func everyMethodHasAUniqueNameAndTenantMethodsRequireATenant() {
        let names = MethodCatalog.all.map(\.name)
        #expect(Set(names).count == names.count)
        for spec in MethodCatalog.all {
            if case .tenant = spec.access {
                #expect(spec.allFields.contains { $0.name == "tenant" && $0.required })
            }
        }
    }
}

/// `ParamType.oneOf`: a value of any of the listed types, else -32602 naming the field
/// with every accepted form.
@Suite struct OneOfParamTests {
    static let dayOfMonth = [Field.optional("day_of_month", .oneOf([.integer(min: 1, max: 31), .choice(["last"])]))]

    @Test(arguments: [JSON(1), JSON(31), "last"])
    func acceptsEveryListedForm(value: JSON) throws {
        try ParamValidator.validate(["day_of_month": value], Self.dayOfMonth)
    }

    @Test(arguments: [JSON(0), JSON(32), "first", true])
    func rejectsOthersNamingTheField(value: JSON) {
        do {
            try ParamValidator.validate(["day_of_month": value], Self.dayOfMonth)
            Issue.record("accepted \(value)")
        } catch {
            #expect(error.code == ErrorCode.invalidParams)
            #expect(error.field == "day_of_month")
            #expect(error.message == "day_of_month must be an integer between 1 and 31 or one of \"last\"")
        }
    }
}
