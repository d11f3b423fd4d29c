import FolioClient
import FolioDomain
import FolioPostgres
import FolioWire
import Foundation
import Testing

/// Contract "Idempotency", for every mutating method of the catalog: a call with an
/// `idempotency_key`, then the same call again, returns the first result and does not act
/// again (nothing in the tenant's data changes, and the effect the API shows happened
/// once); the same key with other params is -32004 on `idempotency_key` and writes
/// nothing; and a replay still works after the server restarted.
///
/// The methods come from `MethodCatalog.all`, so a new mutating method fails these tests
/// until it has a sample below (or is listed in `notExercised` with the reason).
///
/// Each method runs in a tenant of its own on a PostgreSQL cluster of this suite's own,
/// served by a foliod whose background writers (outbox sender, scheduler) are off: then a
/// tenant's rows change only through the calls of the test, and "nothing changed" can be
/// checked on every table of the tenant's schema and its rows of the control schema.
@Suite(.timeLimit(.minutes(10))) struct IdempotencyTests {
    /// Mutating methods that cannot be exercised generically, with the reason. Empty: every
    /// mutating method of the catalog has a sample.
    static let notExercised: [String: String] = [:]

    /// foliod without the jobs that write to tenant schemas on their own.
    static let quietServer = ["--dispatch-interval-ms", "3600000", "--scheduler-interval-ms", "0"]

    static var mutatingMethods: [MethodSpec] { MethodCatalog.all.filter(\.mutating) }

    // MARK: - Coverage

    @Test func everyMutatingMethodHasASampleOrAReason() {
        let mutating = Set(Self.mutatingMethods.map(\.name))
        for name in mutating.sorted() where Self.samples[name] == nil && Self.notExercised[name] == nil {
            Issue.record("mutating method \(name) has no idempotency sample in IdempotencyTests.samples (nor a reason in notExercised)")
        }
        for name in Set(Self.samples.keys).union(Self.notExercised.keys).sorted() where !mutating.contains(name) {
            Issue.record("\(name) has an idempotency sample but is not a mutating method of the catalog")
        }
        for name in Self.notExercised.keys where Self.samples[name] != nil {
            Issue.record("\(name) has a sample and is also listed as not exercised")
        }
        // The v1.1 methods are among them (the catalog is not silently missing a family).
        for name in ["order.create", "order.update", "order.confirm", "order.cancel", "delivery.record",
                     "delivery.confirm_receipt", "invoice.create_from_order", "item.adjust_stock", "recurring.create",
                     "recurring.update", "recurring.pause", "recurring.resume", "recurring.cancel", "recurring.run",
                     "reminder.run", "reminder.mark_sent", "tax_rate.archive", "branding.update", "credit_note.create"] {
            #expect(mutating.contains(name), "\(name) is not a mutating method of the catalog")
        }
        // Every mutating method declares the key, and no other method accepts it.
        for spec in MethodCatalog.all {
            #expect(spec.allFields.contains { $0.name == "idempotency_key" } == spec.mutating, "\(spec.name)")
        }
    }

    // MARK: - Replays

    @Test func everyMutatingMethodReplaysItsFirstResultAndActsOnce() throws {
        let cluster = try PrivateCluster()
        let server = try ServerProcess(database: cluster.database, arguments: Self.quietServer)
        defer { server.stop() }
        let db = try PostgresConnection(conninfo: cluster.superuserDatabase)
        var exercised: [String] = []
        for spec in Self.mutatingMethods {
            guard let build = Self.samples[spec.name] else {
                if Self.notExercised[spec.name] == nil { Issue.record("\(spec.name): no idempotency sample") }
                continue
            }
            let fixture = try Fixture(server: server, db: db, prefix: "idem")
            let sample: Sample
            do {
                sample = try build(fixture)
            } catch {
                Issue.record("\(spec.name): setting up the sample failed: \(error)")
                continue
            }
            try checkReplay(spec, sample, fixture: fixture)
            exercised.append(spec.name)
        }
        #expect(exercised.count == Self.mutatingMethods.count - Self.notExercised.count)
    }

    /// First call, replay, and the same key with other params, checked against the tenant's
    /// data and the effect the sample names.
    private func checkReplay(_ spec: MethodSpec, _ sample: Sample, fixture: Fixture) throws {
        let method = spec.name
        let tenant = sample.tenant ?? fixture.tenant
        let key = "idem-\(method)-\(UUID().uuidString)"
        let client = try fixture.server.connect()
        func call(_ params: JSONObject) throws -> JSON {
            var params = params
            if case .tenant = spec.access { params["tenant"] = .string(fixture.tenant) }
            params["idempotency_key"] = .string(key)
            return try client.call(method, params)
        }

        let dataBefore = try Self.fingerprint(fixture.db, tenant: tenant)
        let effectBefore = try sample.effect()
        let first: JSON
        do {
            first = try call(sample.params)
        } catch {
            Issue.record("\(method): the first call failed: \(error)")
            return
        }
        let effectAfterFirst = try sample.effect()
        let dataAfterFirst = try Self.fingerprint(fixture.db, tenant: tenant)
        #expect(effectAfterFirst != effectBefore, "\(method): the first call had no visible effect (\(effectBefore))")
        #expect(dataAfterFirst != dataBefore, "\(method): the first call changed nothing in the tenant's data")

        let replay: JSON
        do {
            replay = try call(sample.params)
        } catch {
            Issue.record("\(method): the replay failed: \(error)")
            return
        }
        let dataAfterReplay = try Self.fingerprint(fixture.db, tenant: tenant)
        #expect(replay == first, "\(method): the replay's result differs from the first:\n\(replay)\n\(first)")
        #expect(dataAfterReplay == dataAfterFirst,
                "\(method): the replay changed \(Self.changedTables(dataAfterFirst, dataAfterReplay))")
        #expect(try sample.effect() == effectAfterFirst, "\(method): the replay acted again")

        #expect(sample.other != sample.params, "\(method): the sample's other params are the same")
        do {
            _ = try call(sample.other)
            Issue.record("\(method): the same key with other params was accepted")
        } catch let error as RPCError {
            #expect(error.code == ErrorCode.idempotencyMismatch && error.field == "idempotency_key", "\(method): \(error)")
        }
        let dataAfterMismatch = try Self.fingerprint(fixture.db, tenant: tenant)
        #expect(dataAfterMismatch == dataAfterReplay,
                "\(method): the mismatched call changed \(Self.changedTables(dataAfterReplay, dataAfterMismatch))")
        #expect(try sample.effect() == effectAfterFirst, "\(method): the mismatched call acted")
        // The key still replays the first result after the mismatch.
        #expect(try call(sample.params) == first, "\(method): no replay after a mismatched call")
    }

    // MARK: - After a restart

    /// Keys outlive the server: one in a tenant's schema (item.adjust_stock) and one of the
    /// control schema (tenant.grant), replayed by a new foliod on the same database.
    @Test func replayAfterServerRestart() throws {
        let cluster = try PrivateCluster()
        let before = try ServerProcess(database: cluster.database, arguments: Self.quietServer)
        let tenant = try before.makeTenant("idemre")
        let inv = Invoicing(client: try before.connect(), tenant: tenant)
        let item = try Ordering(client: inv.client, tenant: tenant).item("RST-1", price: "4.00", stock: "10")
        let adjust: JSONObject = ["id": JSON(item), "qty_delta": "5", "reason": "found a box",
                                  "idempotency_key": "restart-stock"]
        let grant: JSONObject = ["uid": 4711, "role": "viewer", "idempotency_key": "restart-grant"]
        let adjusted = try inv.call("item.adjust_stock", adjust)
        let granted = try inv.call("tenant.grant", grant)
        #expect(adjusted["stock_qty"] == "15")
        before.stop()
        #expect(throws: (any Error).self) { try before.connect() }

        let after = try ServerProcess(database: cluster.database, arguments: Self.quietServer)
        defer { after.stop() }
        let again = Invoicing(client: try after.connect(), tenant: tenant)
        #expect(try again.call("item.adjust_stock", adjust) == adjusted)
        #expect(try again.call("tenant.grant", grant) == granted)
        #expect(try again.call("item.get", ["id": JSON(item)])["stock_qty"] == "15")
        #expect(try again.call("report.stock")["items"]?.arrayValue?.first?["movements_qty"] == "15")
        let members = try again.call("tenant.members")["items"]?.arrayValue ?? []
        #expect(members.filter { $0["uid"] == 4711 }.count == 1)
        var other = adjust
        other["qty_delta"] = "6"
        expectError(ErrorCode.idempotencyMismatch, field: "idempotency_key") { try again.call("item.adjust_stock", other) }
        var otherGrant = grant
        otherGrant["role"] = "clerk"
        expectError(ErrorCode.idempotencyMismatch, field: "idempotency_key") { try again.call("tenant.grant", otherGrant) }
        #expect(try again.call("item.get", ["id": JSON(item)])["stock_qty"] == "15")
    }

    /// Keys are kept at least 7 days: the server's housekeeping (5 s after it starts, then
    /// hourly) deletes a tenant's and the control schema's keys older than that and keeps
    /// younger ones; a purged key then acts again.
    @Test func keysOlderThanSevenDaysArePurgedAndYoungerOnesKept() throws {
        let cluster = try PrivateCluster()
        let before = try ServerProcess(database: cluster.database, arguments: Self.quietServer)
        let tenant = try before.makeTenant("idempg")
        let inv = Invoicing(client: try before.connect(), tenant: tenant)
        let old: JSONObject = ["name": "Old Ltd", "idempotency_key": "eight-days"]
        let young: JSONObject = ["name": "Young Ltd", "idempotency_key": "six-days"]
        let first = try inv.call("customer.create", old)
        let kept = try inv.call("customer.create", young)
        let oldGrant: JSONObject = ["uid": 4712, "role": "viewer", "idempotency_key": "grant-eight-days"]
        _ = try inv.call("tenant.grant", oldGrant)
        before.stop()
        let db = try PostgresConnection(conninfo: cluster.superuserDatabase)
        try db.execute("""
            UPDATE t_\(tenant).idempotency_keys SET created_at = now() - interval '8 days' WHERE key = 'eight-days';
            UPDATE t_\(tenant).idempotency_keys SET created_at = now() - interval '6 days' WHERE key = 'six-days';
            UPDATE folio.idempotency_keys SET created_at = now() - interval '8 days' WHERE key = 'grant-eight-days'
            """)

        let after = try ServerProcess(database: cluster.database, arguments: Self.quietServer)
        defer { after.stop() }
        let keys = { try Database.column(db, "SELECT key FROM t_\(tenant).idempotency_keys ORDER BY key") }
        let controlKeys = { try Database.column(db, "SELECT key FROM folio.idempotency_keys WHERE tenant = $1", [tenant]) }
        let purged = try eventually(30) { try keys() == ["six-days"] && controlKeys().isEmpty }
        #expect(purged, "\(String(describing: try? keys())) \(String(describing: try? controlKeys()))\n\(after.log())")
        let again = Invoicing(client: try after.connect(), tenant: tenant)
        #expect(try again.call("customer.create", young) == kept)
        let second = try again.call("customer.create", old)
        #expect(second["id"] != first["id"], "a purged key acts again: a second customer")
    }

    // MARK: - The tenant's data

    /// One digest per table of the tenant's schema, and of the tenant's rows in the control
    /// schema (`folio.tenants`, `folio.memberships`, `folio.idempotency_keys`): row count
    /// and an MD5 of the sorted rows.
    static func fingerprint(_ db: PostgresConnection, tenant: String) throws -> [String: String] {
        let digest = "count(*) || ' ' || md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t::text), ''))"
        var parts = [
            "SELECT 'folio.tenants', \(digest) FROM folio.tenants t WHERE t.slug = $1",
            """
            SELECT 'folio.memberships', \(digest)
              FROM (SELECT m.* FROM folio.memberships m JOIN folio.tenants x ON x.id = m.tenant_id WHERE x.slug = $1) t
            """,
            "SELECT 'folio.idempotency_keys', \(digest) FROM folio.idempotency_keys t WHERE t.tenant = $1",
        ]
        if let schema = try db.query(PostgresStatement("SELECT schema_name FROM folio.tenants WHERE slug = $1", [tenant])).scalar {
            let tables = try Database.column(db, "SELECT tablename FROM pg_tables WHERE schemaname = $1 ORDER BY 1", [schema])
            for case let table? in tables {
                parts.append("SELECT '\(table)', \(digest) FROM \"\(schema)\".\"\(table)\" t")
            }
            #expect(tables.count > 20, "the tenant schema \(schema) has only \(tables.count) tables")
        }
        let rows = try db.query(PostgresStatement(parts.joined(separator: "\nUNION ALL\n"), [tenant])).rows
        return Dictionary(uniqueKeysWithValues: rows.map { ($0[0] ?? "?", $0[1] ?? "") })
    }

    static func changedTables(_ a: [String: String], _ b: [String: String]) -> [String] {
        Set(a.keys).union(b.keys).filter { a[$0] != b[$0] }.sorted()
    }

    // MARK: - Samples

    /// A tenant of its own for one method, and builders for what the samples need.
    struct Fixture {
        let server: ServerProcess
        let db: PostgresConnection
        let inv: Invoicing
        let ordering: Ordering

        init(server: ServerProcess, db: PostgresConnection, prefix: String) throws {
            self.server = server
            self.db = db
            let tenant = try server.makeTenant(prefix)
            let client = try server.connect()
            inv = Invoicing(client: client, tenant: tenant)
            ordering = Ordering(client: client, tenant: tenant)
        }

        var tenant: String { inv.tenant }

        func call(_ method: String, _ params: JSONObject = [:]) throws -> JSON { try inv.call(method, params) }

        /// How many items a list method returns (one page of up to 500).
        func count(_ method: String, _ params: JSONObject = [:]) throws -> JSON {
            var params = params
            params["limit"] = 500
            return JSON(try call(method, params)["items"]?.arrayValue?.count ?? -1)
        }

        /// Rows of one of the tenant's tables (for what no method lists).
        func rows(_ table: String) throws -> JSON {
            let schema = try db.query(PostgresStatement("SELECT schema_name FROM folio.tenants WHERE slug = $1", [tenant])).scalar ?? "?"
            return JSON(Int64(try db.query(PostgresStatement("SELECT count(*) FROM \"\(schema)\".\"\(table)\"")).scalar ?? "") ?? -1)
        }

        func customer(_ name: String = "Customer", email: String? = nil, terms: Int? = nil) throws -> Int64 {
            var params: JSONObject = ["name": .string(name)]
            if let email { params["email"] = .string(email) }
            if let terms { params["payment_terms_days"] = JSON(terms) }
            return try call("customer.create", params).id
        }

        func draft(_ customer: Int64, _ amount: String = "100.00") throws -> JSON {
            try inv.draft(customer: customer, [("Work", "1", amount, nil)])
        }

        func issued(_ customer: Int64, _ amount: String = "100.00", on date: String = "2026-02-01") throws -> JSON {
            try inv.draft(customer: customer, [("Work", "1", amount, nil)], extra: ["issue": true, "issue_date": .string(date)])
        }

        func schedule(_ customer: Int64, start: String = "2026-01-01") throws -> JSON {
            try call("recurring.create", ["customer_id": JSON(customer), "interval": "monthly", "start_date": .string(start),
                                          "lines": [["description": "Hosting", "qty": "1", "unit_price": "49.00"]]])
        }

        /// A signed, confirmed order of one line of `SKU-1` (qty 5), the item tracking stock.
        func confirmedOrder() throws -> (order: JSON, item: Int64) {
            let item = try ordering.item("SKU-1", price: "10.00", stock: "10")
            let customer = try customer("Buyer Ltd")
            let order = try ordering.confirmedOrder(customer: customer, po: "PO-1", [("SKU-1", "5", nil)])
            return (order, item)
        }

        /// A tenant with one reminder level (no grace, no fee), and an invoice due 2026-01-15
        /// of a customer without e-mail (so its reminders are to_print).
        func overdueInvoice(_ number: Int = 1) throws -> JSON {
            if number == 1 {
                _ = try call("tenant.update", ["reminder_grace_days": 0,
                                               "reminder_levels": [["level": 1, "days_past_due": 0, "message": "Overdue."]]])
            }
            return try issued(try customer("Late Payer \(number)", terms: 10), "80.00", on: "2026-01-05")
        }
    }

    /// One method's call: valid params in a fresh tenant, other valid params for the same
    /// key, and the effect as the API shows it (changed by the first call, by nothing after).
    struct Sample {
        var params: JSONObject
        var other: JSONObject
        var effect: () throws -> JSON
        /// The tenant whose data the call changes, when not the fixture's (tenant.create).
        var tenant: String? = nil
    }

    typealias Build = @Sendable (Fixture) throws -> Sample

    static let samples: [String: Build] = [
        // Tenants and memberships (run in the server against the control schema).
        "tenant.create": { f in
            let slug = TestEnvironment.uniqueSlug("idemnew")
            return Sample(params: ["tenant": .string(slug), "name": "New Ltd", "currency": "EUR"],
                          other: ["tenant": .string(slug), "name": "Other Ltd", "currency": "EUR"],
                          effect: { JSON(try f.db.query(PostgresStatement(
                              "SELECT count(*) FROM folio.tenants WHERE slug = $1", [slug])).scalar ?? "") },
                          tenant: slug)
        },
        "tenant.grant": { f in
            Sample(params: ["uid": 4242, "role": "clerk"], other: ["uid": 4242, "role": "viewer"],
                   effect: { try f.call("tenant.members") })
        },
        "tenant.revoke": { f in
            _ = try f.call("tenant.grant", ["uid": 4243, "role": "clerk"])
            return Sample(params: ["uid": 4243], other: ["uid": 4244], effect: { try f.call("tenant.members") })
        },
        "tenant.update": { f in
            Sample(params: ["payment_terms_days": 14], other: ["payment_terms_days": 21], effect: { try f.call("tenant.get") })
        },
        // Customers, items, tax rates.
        "customer.create": { f in
            Sample(params: ["name": "Idem GmbH", "email": "ap@idem.test"], other: ["name": "Idem AG"],
                   effect: { try f.count("customer.list") })
        },
        "customer.update": { f in
            let id = try f.customer()
            return Sample(params: ["id": JSON(id), "name": "Renamed"], other: ["id": JSON(id), "name": "Renamed again"],
                          effect: { try f.call("customer.get", ["id": JSON(id)]) })
        },
        "customer.archive": { f in
            let id = try f.customer("Gone"), kept = try f.customer("Kept")
            return Sample(params: ["id": JSON(id)], other: ["id": JSON(kept)], effect: { try f.count("customer.list") })
        },
        "item.create": { f in
            Sample(params: ["sku": "IDEM-1", "name": "Widget", "unit_price": "10.00", "stock_qty": "3"],
                   other: ["sku": "IDEM-2", "name": "Widget", "unit_price": "10.00"],
                   effect: { try f.count("item.list") })
        },
        "item.update": { f in
            let id = try f.ordering.item("UPD-1", price: "10.00")
            return Sample(params: ["id": JSON(id), "unit_price": "12.00"], other: ["id": JSON(id), "unit_price": "13.00"],
                          effect: { try f.call("item.get", ["id": JSON(id)]) })
        },
        "item.archive": { f in
            let id = try f.ordering.item("ARC-1", price: "1.00"), kept = try f.ordering.item("ARC-2", price: "1.00")
            return Sample(params: ["id": JSON(id)], other: ["id": JSON(kept)], effect: { try f.count("item.list") })
        },
        "item.adjust_stock": { f in
            let id = try f.ordering.item("STK-1", price: "2.00", stock: "10")
            return Sample(params: ["id": JSON(id), "qty_delta": "5", "reason": "found a box"],
                          other: ["id": JSON(id), "qty_delta": "6", "reason": "found a box"],
                          effect: { [try f.ordering.stock(id).map(JSON.string) ?? .null, try f.call("report.stock")] })
        },
        "tax_rate.create": { f in
            Sample(params: ["code": "STD", "name": "Standard", "percent": "20"],
                   other: ["code": "STD", "name": "Standard", "percent": "21"],
                   effect: { try f.count("tax_rate.list") })
        },
        "tax_rate.update": { f in
            try f.inv.taxRate("STD", "20")
            return Sample(params: ["code": "STD", "percent": "19"], other: ["code": "STD", "percent": "18"],
                          effect: { try f.call("tax_rate.get", ["code": "STD"]) })
        },
        "tax_rate.archive": { f in
            try f.inv.taxRate("OLD", "7")
            try f.inv.taxRate("NEW", "8")
            return Sample(params: ["code": "OLD"], other: ["code": "NEW"], effect: { try f.call("tax_rate.list") })
        },
        // Invoices and credit notes.
        "invoice.create": { f in
            let customer = try f.customer()
            let line: JSON = ["description": "Work", "qty": "2", "unit_price": "50.00"]
            return Sample(params: ["customer_id": JSON(customer), "lines": [line], "issue": true],
                          other: ["customer_id": JSON(customer), "lines": [line, line], "issue": true],
                          effect: { [try f.count("invoice.list"), try f.count("invoice.list", ["status": "issued"])] })
        },
        "invoice.update": { f in
            let draft = try f.draft(try f.customer())
            return Sample(params: ["id": JSON(draft.id), "notes": "Thank you"], other: ["id": JSON(draft.id), "notes": "Thanks"],
                          effect: { try f.call("invoice.get", ["id": JSON(draft.id)]) })
        },
        "invoice.delete": { f in
            let customer = try f.customer()
            let gone = try f.draft(customer), kept = try f.draft(customer)
            return Sample(params: ["id": JSON(gone.id)], other: ["id": JSON(kept.id)], effect: { try f.count("invoice.list") })
        },
        "invoice.issue": { f in
            let draft = try f.draft(try f.customer())
            return Sample(params: ["id": JSON(draft.id), "issue_date": "2026-02-01"],
                          other: ["id": JSON(draft.id), "issue_date": "2026-02-02"],
                          effect: { [try f.call("invoice.get", ["id": JSON(draft.id)]), try f.count("invoice.list", ["status": "issued"])] })
        },
        "invoice.void": { f in
            let invoice = try f.issued(try f.customer())
            return Sample(params: ["id": JSON(invoice.id), "reason": "wrong customer"],
                          other: ["id": JSON(invoice.id), "reason": "duplicate"],
                          effect: { [try f.call("invoice.get", ["id": JSON(invoice.id)]), try f.count("credit_note.list")] })
        },
        "credit_note.create": { f in
            let invoice = try f.issued(try f.customer())
            return Sample(params: ["invoice_id": JSON(invoice.id), "reason": "discount", "amount": "10.00"],
                          other: ["invoice_id": JSON(invoice.id), "reason": "discount", "amount": "11.00"],
                          effect: { [try f.call("invoice.get", ["id": JSON(invoice.id)]), try f.count("credit_note.list")] })
        },
        // Payments, reconciliation, disputes.
        "payment.record": { f in
            let customer = try f.customer()
            let invoice = try f.issued(customer)
            let params: JSONObject = ["customer_id": JSON(customer), "amount": "40.00", "received_on": "2026-02-10",
                                      "method": "bank_transfer"]
            var other = params
            other["amount"] = "41.00"
            return Sample(params: params, other: other,
                          effect: { [try f.count("payment.list"), try f.call("invoice.get", ["id": JSON(invoice.id)])] })
        },
        "payment.allocate": { f in
            let customer = try f.customer()
            let invoice = try f.issued(customer)
            let payment = try f.call("payment.record", ["customer_id": JSON(customer), "amount": "50.00",
                                                        "received_on": "2026-02-10", "method": "cash", "allocations": []])
            return Sample(params: ["payment_id": JSON(payment.id), "allocations": [["invoice_id": JSON(invoice.id), "amount": "20.00"]]],
                          other: ["payment_id": JSON(payment.id), "allocations": [["invoice_id": JSON(invoice.id), "amount": "21.00"]]],
                          effect: { [try f.call("payment.get", ["id": JSON(payment.id)]),
                                     try f.call("invoice.get", ["id": JSON(invoice.id)])] })
        },
        "payment.refund": { f in
            let customer = try f.customer()
            let payment = try f.call("payment.record", ["customer_id": JSON(customer), "amount": "50.00",
                                                        "received_on": "2026-02-10", "method": "cash", "allocations": []])
            return Sample(params: ["payment_id": JSON(payment.id), "amount": "10.00", "reason": "returned"],
                          other: ["payment_id": JSON(payment.id), "amount": "11.00", "reason": "returned"],
                          effect: { try f.call("payment.get", ["id": JSON(payment.id)]) })
        },
        "discrepancy.resolve": { f in
            let customer = try f.customer()
            _ = try f.issued(customer, "10.00")
            _ = try f.call("payment.record", ["customer_id": JSON(customer), "amount": "30.00", "received_on": "2026-02-10",
                                              "method": "cash"])
            let open = try f.call("discrepancy.list", ["status": "open"])["items"]?.arrayValue ?? []
            let id = try #require(open.first?["id"], "the overpayment made no discrepancy")
            return Sample(params: ["id": id, "note": "credit kept"], other: ["id": id, "note": "refund by cheque"],
                          effect: { [try f.call("discrepancy.get", ["id": id]), try f.count("discrepancy.list", ["status": "open"])] })
        },
        "reconcile.import": { f in
            let header = "date,amount,reference,payer\n"
            return Sample(params: ["csv": .string(header + "2026-02-01,10.00,Ref A,Payer Ltd\n")],
                          other: ["csv": .string(header + "2026-02-01,11.00,Ref A,Payer Ltd\n")],
                          effect: { [try f.rows("bank_statements"), try f.rows("bank_statement_lines")] })
        },
        "reconcile.confirm": { f in
            let invoice = try f.issued(try f.customer("Payer Ltd"), "75.00")
            let csv = "date,amount,reference,payer\n2026-02-03,75.00,Payment \(invoice["number"]!.stringValue!),Payer Ltd\n"
            let statement = try f.call("reconcile.import", ["csv": .string(csv)])
            let id = try #require(statement["statement_id"])
            return Sample(params: ["statement_id": id], other: ["statement_id": id, "line_ids": [1]],
                          effect: { [try f.count("payment.list"), try f.call("invoice.get", ["id": JSON(invoice.id)])] })
        },
        "invoice.dispute": { f in
            let invoice = try f.issued(try f.customer())
            return Sample(params: ["id": JSON(invoice.id), "reason": "wrong hours"],
                          other: ["id": JSON(invoice.id), "reason": "never delivered"],
                          effect: { try f.call("invoice.get", ["id": JSON(invoice.id)]) })
        },
        "invoice.resolve_dispute": { f in
            let invoice = try f.issued(try f.customer())
            _ = try f.call("invoice.dispute", ["id": JSON(invoice.id), "reason": "wrong hours"])
            return Sample(params: ["id": JSON(invoice.id), "resolution": "confirmed", "note": "hours were right"],
                          other: ["id": JSON(invoice.id), "resolution": "confirmed", "note": "checked again"],
                          effect: { try f.call("invoice.get", ["id": JSON(invoice.id)]) })
        },
        "invoice.note": { f in
            let invoice = try f.issued(try f.customer())
            return Sample(params: ["id": JSON(invoice.id), "text": "called Anna"], other: ["id": JSON(invoice.id), "text": "called Ben"],
                          effect: { try f.call("invoice.get", ["id": JSON(invoice.id)]) })
        },
        // Documents and dispatch.
        "branding.update": { f in
            Sample(params: ["accent_color": "#123456", "footer": "Folio Ltd"], other: ["accent_color": "#654321"],
                   effect: { try f.call("branding.get") })
        },
        "invoice.send": { f in
            let invoice = try f.issued(try f.customer("Mailed", email: "ap@mailed.test"))
            return Sample(params: ["id": JSON(invoice.id)], other: ["id": JSON(invoice.id), "to": "boss@mailed.test"],
                          effect: { try f.count("dispatch.list") })
        },
        "invoice.mark_sent": { f in
            let customer = try f.customer()
            let a = try f.issued(customer), b = try f.issued(customer)
            return Sample(params: ["ids": [JSON(a.id)]], other: ["ids": [JSON(a.id), JSON(b.id)]],
                          effect: { try f.call("invoice.get", ["id": JSON(a.id)]) })
        },
        // Import.
        "import.customers": { f in
            Sample(params: ["csv": "name,email\nImported One,one@import.test\n"],
                   other: ["csv": "name,email\nImported Two,two@import.test\n"],
                   effect: { try f.count("customer.list") })
        },
        "import.items": { f in
            Sample(params: ["csv": "sku,name,unit_price,stock_qty\nIMP-1,Imported,5.00,4\n"],
                   other: ["csv": "sku,name,unit_price,stock_qty\nIMP-2,Imported,5.00,4\n"],
                   effect: { try f.count("item.list") })
        },
        // Orders, deliveries, stock (v1.1).
        "order.create": { f in
            _ = try f.ordering.item("SKU-1", price: "10.00")
            let customer = try f.customer("Buyer Ltd")
            let params: JSONObject = ["customer_id": JSON(customer), "po_number": "PO-7", "order_date": "2026-03-01",
                                      "lines": [["sku": "SKU-1", "qty": "2"]]]
            var other = params
            other["lines"] = [["sku": "SKU-1", "qty": "3"]]
            return Sample(params: params, other: other, effect: { try f.count("order.list") })
        },
        "order.update": { f in
            _ = try f.ordering.item("SKU-1", price: "10.00")
            let order = try f.ordering.order(customer: try f.customer(), po: "PO-8", [("SKU-1", "2", nil)])
            return Sample(params: ["id": JSON(order.id), "notes": "gate 2"], other: ["id": JSON(order.id), "notes": "gate 3"],
                          effect: { try f.call("order.get", ["id": JSON(order.id)]) })
        },
        "order.confirm": { f in
            _ = try f.ordering.item("SKU-1", price: "10.00")
            let order = try f.ordering.order(customer: try f.customer(), po: "PO-9", [("SKU-1", "2", nil)],
                                             extra: ["signed_by": "B. Buyer", "signed_on": "2026-03-01"])
            return Sample(params: ["id": JSON(order.id), "accept_discrepancies": true], other: ["id": JSON(order.id)],
                          effect: { try f.call("order.get", ["id": JSON(order.id)]) })
        },
        "order.cancel": { f in
            _ = try f.ordering.item("SKU-1", price: "10.00")
            let order = try f.ordering.order(customer: try f.customer(), po: "PO-10", [("SKU-1", "2", nil)])
            return Sample(params: ["id": JSON(order.id), "reason": "buyer withdrew"],
                          other: ["id": JSON(order.id), "reason": "out of stock"],
                          effect: { try f.call("order.get", ["id": JSON(order.id)]) })
        },
        "delivery.record": { f in
            let (order, item) = try f.confirmedOrder()
            let params: JSONObject = ["order_id": JSON(order.id), "shipped_on": "2026-03-05", "lines": [["line_no": 1, "qty": "2"]],
                                      "tracking_numbers": ["TRK-1"]]
            var other = params
            other["lines"] = [["line_no": 1, "qty": "3"]]
            return Sample(params: params, other: other,
                          effect: { [try f.ordering.stock(item).map(JSON.string) ?? .null, try f.count("delivery.list"),
                                     .array(try f.ordering.quantities(order.id).map { .array($0.map(JSON.string)) })] })
        },
        "delivery.confirm_receipt": { f in
            let (order, _) = try f.confirmedOrder()
            let delivery = try f.ordering.deliver(order.id, [(1, "2")])
            return Sample(params: ["id": JSON(delivery.id), "received_by": "R. Receiver", "received_on": "2026-03-06"],
                          other: ["id": JSON(delivery.id), "received_by": "S. Receiver", "received_on": "2026-03-06"],
                          effect: { try f.call("delivery.get", ["id": JSON(delivery.id)]) })
        },
        "invoice.create_from_order": { f in
            let (order, _) = try f.confirmedOrder()
            _ = try f.ordering.deliver(order.id, [(1, "2")])
            return Sample(params: ["order_id": JSON(order.id)], other: ["order_id": JSON(order.id), "issue": true],
                          effect: { [try f.count("invoice.list"), try f.call("order.get", ["id": JSON(order.id)])] })
        },
        // Collections (v1.1).
        "recurring.create": { f in
            let customer = try f.customer()
            let params: JSONObject = ["customer_id": JSON(customer), "interval": "monthly", "start_date": "2026-01-01",
                                      "lines": [["description": "Hosting", "qty": "1", "unit_price": "49.00"]]]
            var other = params
            other["interval"] = "weekly"
            return Sample(params: params, other: other, effect: { try f.count("recurring.list") })
        },
        "recurring.update": { f in
            let schedule = try f.schedule(try f.customer())
            return Sample(params: ["id": JSON(schedule.id), "notes": "yearly review"], other: ["id": JSON(schedule.id), "notes": "none"],
                          effect: { try f.call("recurring.get", ["id": JSON(schedule.id)]) })
        },
        "recurring.pause": { f in
            let customer = try f.customer()
            let schedule = try f.schedule(customer), other = try f.schedule(customer)
            return Sample(params: ["id": JSON(schedule.id)], other: ["id": JSON(other.id)],
                          effect: { try f.call("recurring.get", ["id": JSON(schedule.id)]) })
        },
        "recurring.resume": { f in
            let schedule = try f.schedule(try f.customer())
            _ = try f.call("recurring.pause", ["id": JSON(schedule.id)])
            return Sample(params: ["id": JSON(schedule.id)], other: ["id": JSON(schedule.id), "skip_missed": true],
                          effect: { try f.call("recurring.get", ["id": JSON(schedule.id)]) })
        },
        "recurring.cancel": { f in
            let customer = try f.customer()
            let schedule = try f.schedule(customer), other = try f.schedule(customer)
            return Sample(params: ["id": JSON(schedule.id)], other: ["id": JSON(other.id)],
                          effect: { try f.call("recurring.get", ["id": JSON(schedule.id)]) })
        },
        "recurring.run": { f in
            let schedule = try f.schedule(try f.customer())
            return Sample(params: ["as_of": "2026-03-15"], other: ["as_of": "2026-03-16"],
                          effect: { [try f.count("invoice.list"), try f.call("recurring.get", ["id": JSON(schedule.id)])] })
        },
        "reminder.run": { f in
            let invoice = try f.overdueInvoice()
            return Sample(params: ["as_of": "2026-02-01"], other: ["as_of": "2026-02-02"],
                          effect: { [try f.count("reminder.list"), try f.call("invoice.get", ["id": JSON(invoice.id)])] })
        },
        "reminder.mark_sent": { f in
            _ = try f.overdueInvoice(1)
            _ = try f.overdueInvoice(2)
            _ = try f.call("reminder.run", ["as_of": "2026-02-01"])
            let reminders = (try f.call("reminder.list", ["status": "to_print"])["items"]?.arrayValue ?? []).compactMap { $0["id"] }
            try #require(reminders.count == 2, "expected two reminders to print, got \(reminders)")
            return Sample(params: ["ids": [reminders[0]]], other: ["ids": .array(reminders)],
                          effect: { try f.call("reminder.list") })
        },
    ]
}
