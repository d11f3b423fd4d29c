import FolioClient
import FolioWire

/// Small builders for invoicing calls in tests.
struct Invoicing {
    let client: FolioConnection
    let tenant: String

    func call(_ method: String, _ params: JSONObject = [:]) throws -> JSON {
        var params = params
        params["tenant"] = .string(tenant)
        return try client.call(method, params)
    }

    func customer(_ name: String = "Customer", terms: Int? = nil) throws -> Int64 {
        var params: JSONObject = ["name": .string(name)]
        if let terms { params["payment_terms_days"] = JSON(terms) }
        return try call("customer.create", params)["id"]!.int64Value!
    }

    func taxRate(_ code: String, _ percent: String) throws {
        _ = try call("tax_rate.create", ["code": .string(code), "name": .string(code), "percent": .string(percent)])
    }

    /// A draft with lines given as (description, qty, unit price, tax code).
    func draft(customer: Int64, _ lines: [(String, String, String, String?)], extra: JSONObject = [:]) throws -> JSON {
        var params = extra
        params["customer_id"] = JSON(customer)
        params["lines"] = .array(lines.map { line in
            var object: JSONObject = ["description": .string(line.0), "qty": .string(line.1), "unit_price": .string(line.2)]
            if let code = line.3 { object["tax_rate"] = .string(code) }
            return .object(object)
        })
        return try call("invoice.create", params)
    }

    func issue(_ id: Int64, date: String? = nil) throws -> JSON {
        var params: JSONObject = ["id": JSON(id)]
        if let date { params["issue_date"] = .string(date) }
        return try call("invoice.issue", params)
    }
}

extension JSON {
    var id: Int64 { self["id"]!.int64Value! }
}
