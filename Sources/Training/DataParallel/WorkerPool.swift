import Dispatch

/// Runs numbered jobs on a private concurrent Dispatch queue and waits for all of them.
///
/// Every job runs on a queue thread, never on the caller's, so a ``GradientTape`` the caller may
/// be recording with cannot see a worker's operations (tapes are per thread).
final class WorkerPool: Sendable {
    private let queue = DispatchQueue(label: "swiftgrad.data-parallel.workers", attributes: .concurrent)

    /// Runs `job(0) … job(count − 1)` concurrently and returns when all have finished.
    func run(_ count: Int, _ job: @escaping @Sendable (Int) -> Void) {
        let group = DispatchGroup()
        for index in 0..<count {
            queue.async(group: group) { job(index) }
        }
        group.wait()
    }
}
