import Foundation
import NIOConcurrencyHelpers

/// Runs `body` on `count` threads at once (real threads, not a pool sized to the cores)
/// and waits for all of them.
func concurrently(_ count: Int, _ body: @escaping @Sendable (Int) -> Void) {
    let group = DispatchGroup()
    for i in 0..<count {
        group.enter()
        let thread = Thread {
            body(i)
            group.leave()
        }
        thread.stackSize = 1 << 20
        thread.start()
    }
    group.wait()
}

/// A value shared between test threads.
final class Shared<Value: Sendable>: Sendable {
    private let box: NIOLockedValueBox<Value>
    init(_ value: Value) { box = NIOLockedValueBox(value) }
    func update(_ body: (inout Value) -> Void) { box.withLockedValue { body(&$0) } }
    var value: Value { box.withLockedValue { $0 } }
}
