import FolioClient
import FolioPostgres
import FolioWire
import Foundation
import Testing

/// audit.verify finds each kind of damage done behind the server's back, as a superuser
/// who switches the protecting triggers off; and internal errors reach the caller only
/// as a correlation id. The damage is done to rows that were already verified, so the
/// full check (`full: true`) is what must find it; the incremental check also finds the
/// damages that its cheap invariants cover (series counters and heads, the last
/// verified document of a series).
@Suite(.timeLimit(.minutes(5))) struct TamperingTests {
    let server = ServerProcess.shared

    struct Damage: Sendable, CustomTestStringConvertible {
        var name: String
        var sql: String
        /// Whether the incremental check (only what is new, plus cheap invariants) finds it too.
        var incremental = false
        var testDescription: String { name }
    }

    static let damages: [Damage] = [
        Damage(name: "total changed", sql: "UPDATE invoices SET total = total + 1, subtotal = subtotal + 1 WHERE number = 'INV-000002'"),
        Damage(name: "line changed", sql: "UPDATE invoice_lines SET description = 'forged' WHERE invoice_id = (SELECT id FROM invoices WHERE number = 'INV-000001')"),
        Damage(name: "number gap", sql: "DELETE FROM invoice_lines WHERE invoice_id = (SELECT id FROM invoices WHERE number = 'INV-000003'); DELETE FROM invoices WHERE number = 'INV-000003'", incremental: true),
        Damage(name: "series counter moved", sql: "UPDATE number_series SET next_seq = next_seq + 5 WHERE kind = 'invoice'", incremental: true),
        Damage(name: "hash broken", sql: "UPDATE invoices SET hash = md5('x') WHERE number = 'INV-000001'"),
        Damage(name: "amount paid without allocation", sql: "UPDATE invoices SET amount_paid = 5 WHERE number = 'INV-000001'"),
        Damage(name: "payment unapplied changed", sql: "UPDATE payments SET unapplied = unapplied + 1"),
        Damage(name: "stock changed", sql: "UPDATE items SET stock_qty = stock_qty + 5"),
        Damage(name: "last verified hash changed", sql: "UPDATE invoices SET hash = md5('x') WHERE number = 'INV-000003'", incremental: true),
        Damage(name: "daily tax totals changed", sql: "UPDATE tax_daily SET tax = tax + 1"),
        Damage(name: "credited changed", sql: "UPDATE invoices SET credited = 1 WHERE number = 'INV-000003'"),
    ]

    @Test(arguments: damages)
    func auditVerifyFindsDamage(_ damage: Damage) throws {
        let inv = Invoicing(client: try server.connect(), tenant: try server.makeTenant("tamp"))
        let customer = try inv.customer()
        let item = try inv.call("item.create", ["sku": "S1", "name": "Stocked", "unit_price": "10.00", "stock_qty": "100"])
        for i in 1...3 {
            let draft = try inv.call("invoice.create", ["customer_id": JSON(customer), "lines": [
                ["item_id": item["id"]!, "qty": "2"], ["description": .string("Service \(i)"), "qty": "1", "unit_price": "30.00"],
            ]])
            _ = try inv.issue(draft.id)
        }
        _ = try inv.call("payment.record", ["customer_id": JSON(customer), "amount": "100.00", "received_on": "2026-01-01", "method": "cash"])
        #expect(try inv.call("audit.verify")["ok"] == .bool(true))

        let db = try Database.superuser()
        try db.execute("SET search_path = t_\(inv.tenant); SET session_replication_role = replica; \(damage.sql); SET session_replication_role = origin")
        let verify = try inv.call("audit.verify", ["full": true])
        #expect(verify["ok"] == .bool(false), "\(damage.name) went unnoticed")
        #expect(verify["mode"] == "full")
        #expect(verify["problems"]?.arrayValue?.isEmpty == false)
        if damage.incremental {
            let quick = try inv.call("audit.verify")
            #expect(quick["mode"] == "incremental")
            #expect(quick["ok"] == .bool(false), "\(damage.name) went unnoticed by the incremental check")
        }
    }

    @Test func internalErrorsCarryOnlyACorrelationID() throws {
        let inv = Invoicing(client: try server.connect(), tenant: try server.makeTenant("bug"))
        let db = try Database.superuser()
        // Simulate a bug: a function the method relies on fails with a database error.
        try db.execute("""
            CREATE OR REPLACE FUNCTION t_\(inv.tenant).tenant_get(p jsonb) RETURNS jsonb LANGUAGE sql AS
            $$ SELECT (1 / 0)::text::jsonb $$
            """)
        do {
            _ = try inv.call("tenant.get")
            Issue.record("the broken method succeeded")
        } catch let error as RPCError {
            #expect(error.code == ErrorCode.internalError)
            let ref = try #require(error.data["ref"]?.stringValue)
            #expect(!error.message.lowercased().contains("division"))
            #expect(!error.message.lowercased().contains("select"))
            #expect(server.log().contains(ref))
            #expect(server.log().contains("division by zero"))
        }
    }
}
