import Dispatch
import Foundation

/// Writes checkpoints on a serial queue of its own, in the order they were submitted, so that a
/// training run does not wait for each file to be encoded and flushed to disk.
///
/// At most ``maximumPending`` writes wait at once: a run that checkpoints faster than the disk
/// takes them waits instead of holding ever more snapshots in memory. The first error a write
/// throws is rethrown by the next ``submit(_:)`` or by ``finish()``; writes after it are skipped.
final class CheckpointWriter: @unchecked Sendable {
    /// Writes queued or in progress at most.
    static let maximumPending = 2

    private let queue = DispatchQueue(label: "swiftgrad.checkpoint-writer")
    private let slots = DispatchSemaphore(value: maximumPending)
    private let lock = NSLock()
    private var failure: (any Error)?

    /// Queues `write`, after waiting for a free slot.
    ///
    /// - Throws: the error of an earlier write, if one failed.
    func submit(_ write: @escaping @Sendable () throws -> Void) throws {
        try rethrowFailure()
        slots.wait()
        queue.async { [self] in
            defer { slots.signal() }
            guard lock.withLock({ failure == nil }) else { return }
            do {
                try write()
            } catch {
                lock.withLock { failure = error }
            }
        }
    }

    /// Waits until every queued write is done.
    ///
    /// - Throws: the first error a write threw.
    func finish() throws {
        queue.sync {}
        try rethrowFailure()
    }

    private func rethrowFailure() throws {
        if let failure = lock.withLock({ failure }) { throw failure }
    }
}
