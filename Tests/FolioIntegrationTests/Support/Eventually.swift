import Foundation

/// Polls `condition` every 100 ms until it holds or `timeout` seconds pass; the last
/// answer is the result (for work a server finishes in the background).
func eventually(_ timeout: TimeInterval = 30, _ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
        if try condition() { return true }
        usleep(100_000)
    }
    return try condition()
}
