import Foundation

/// A value behind a lock, for the few places where threads share a mutable value.
///
/// Built on `NSLock`, a `pthread_mutex_t` underneath, which ThreadSanitizer understands, so the
/// trainer's tests can check every use of it (`scripts/test` runs them under ThreadSanitizer).
package final class Locked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value

    package init(_ value: Value) { self.value = value }

    /// Calls `body` with the value, holding the lock.
    package func withLock<R>(_ body: (inout Value) -> R) -> R {
        lock.lock()
        defer { lock.unlock() }
        return body(&value)
    }
}
