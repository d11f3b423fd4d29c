/// Money as printed: the exact decimal string of the result with its currency code.
enum Money {
    static func format(_ amount: String, currency: String) -> String {
        currency.isEmpty ? amount : currency + " " + amount
    }
}
