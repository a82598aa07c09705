import Dispatch

/// A value computed on another thread from the moment it is made; reading it waits until it is
/// ready. A training task computes its data's checksum this way, while the run builds its
/// model and engine on the calling thread, since nothing needs the checksum before the first
/// checkpoint's metadata.
///
/// The value is written once, before the group is left, and read only after waiting on the
/// group, which orders the write before every read.
final class BackgroundValue<Value: Sendable>: @unchecked Sendable {
    private let ready = DispatchGroup()
    private var result: Value?

    /// Starts computing the value on a global queue.
    init(_ compute: @escaping @Sendable () -> Value) {
        ready.enter()
        DispatchQueue.global().async { [self] in
            result = compute()
            ready.leave()
        }
    }

    /// The value, once computed.
    var value: Value {
        ready.wait()
        return result!
    }
}
