import Autograd
import Dispatch

/// Runs numbered jobs concurrently on Dispatch's worker threads and waits for all of them.
///
/// `DispatchQueue.concurrentPerform` runs one job on the calling thread and the rest on the
/// global concurrent queue's threads, which saves one thread wake-up per step. Each job runs with
/// the calling thread's tapes suspended, so a ``GradientTape`` the caller may be recording with
/// never sees a worker's operations (tapes are per thread); the workers' own tapes record as usual.
final class WorkerPool: Sendable {
    /// Runs `job(0) … job(count − 1)` concurrently and returns when all have finished.
    func run(_ count: Int, _ job: @escaping @Sendable (Int) -> Void) {
        if count == 1 {
            withoutRecording { job(0) }
            return
        }
        DispatchQueue.concurrentPerform(iterations: count) { index in
            withoutRecording { job(index) }
        }
    }
}
