import NIOConcurrencyHelpers

/// Caps concurrent connections per uid, so one user cannot take every slot.
final class ConnectionLimiter: Sendable {
    private let limit: Int
    private let counts = NIOLockedValueBox<[UInt32: Int]>([:])

    init(limit: Int) { self.limit = limit }

    /// Takes a slot for `uid`; false when it already holds `limit` connections.
    func acquire(_ uid: UInt32) -> Bool {
        counts.withLockedValue { counts in
            let current = counts[uid, default: 0]
            guard current < limit else { return false }
            counts[uid] = current + 1
            return true
        }
    }

    func release(_ uid: UInt32) {
        counts.withLockedValue { counts in
            let remaining = counts[uid, default: 1] - 1
            counts[uid] = remaining > 0 ? remaining : nil
        }
    }
}
