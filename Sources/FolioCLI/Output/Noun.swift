/// What a list holds, for messages such as "fetched 3 invoices" or "no invoices".
struct Noun: Sendable {
    let singular: String
    let plural: String

    init(_ singular: String, plural: String? = nil) {
        self.singular = singular
        self.plural = plural ?? singular + "s"
    }

    /// "1 invoice", "3 invoices".
    func counted(_ count: Int) -> String {
        "\(count) \(count == 1 ? singular : plural)"
    }
}
