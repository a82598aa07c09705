import Testing
import Autograd
import _TestSupport
import Foundation
import Synchronization

/// Tapes are per thread: an operation is recorded only by the tapes recording on the thread
/// that runs it, so worker threads can each train with a tape of their own.
@Suite struct TapeThreadingTests {
    /// Runs `body` on a new thread and waits for its result.
    static func onAnotherThread<Result: Sendable>(_ body: @escaping @Sendable () -> Result) -> Result {
        let result = Mutex<Result?>(nil)
        let done = DispatchSemaphore(value: 0)
        let thread = Thread {
            let value = body()
            result.withLock { $0 = value }
            done.signal()
        }
        thread.start()
        done.wait()
        return result.withLock { $0! }
    }

    @Test func operationsOnAnotherThreadAreNotRecorded() {
        let x = Tensor([1, 2, 3])
        let tape = GradientTape(persistent: true)
        tape.watch(x)
        let (elsewhere, here) = tape.record { () -> (Tensor, Tensor) in
            let elsewhere = Self.onAnotherThread { (x * x).sum() }
            return (elsewhere, (x * x).sum())
        }
        #expect(elsewhere.scalar == 14)
        #expect(here.scalar == 14)
        // Only this thread's two ops were recorded.
        #expect(tape.recordedOperationCount == 2)
        #expect(tape.gradient(of: elsewhere, withRespectTo: x) == nil)
        #expect(tape.gradient(of: here, withRespectTo: x)?.scalars == [2, 4, 6])
    }

    @Test func aTapeOnAnotherThreadDoesNotSeeThisThreadsOperations() {
        let x = Tensor(2)
        let tape = GradientTape()
        tape.watch(x)
        // This thread's tape is recording, but the other thread runs with no tape of its own.
        let count = tape.record { () -> Int in
            Self.onAnotherThread {
                let inner = GradientTape()
                inner.watch(x)
                _ = x * x  // outside inner.record: not recorded by anyone
                return inner.recordedOperationCount
            }
        }
        #expect(count == 0)
        #expect(tape.recordedOperationCount == 0)
    }

    @Test func threadsWithTheirOwnTapesGetIndependentGradientsConcurrently() {
        let threadCount = 4, rounds = 200
        let failures = Mutex<[String]>([])
        let group = DispatchGroup()
        for worker in 0..<threadCount {
            group.enter()
            let thread = Thread {
                defer { group.leave() }
                let scale = Float(worker + 1)
                for round in 0..<rounds {
                    // f(x) = Σ scale·x² + sin x; f'(x) = 2·scale·x + cos x.
                    let x = Tensor([Float(round % 7) * 0.1, -0.5, Float(worker)])
                    let tape = GradientTape()
                    tape.watch(x)
                    let y = tape.record { (scale * x.squared() + x.sin()).sum() }
                    let gradient = tape.gradient(of: y, withRespectTo: x)!
                    let expected = x.scalars.map { 2 * scale * $0 + Float(cos(Double($0))) }
                    let matches = zip(gradient.scalars, expected).allSatisfy { Swift.abs($0 - $1) <= 1e-5 * Swift.max(1, Swift.abs($1)) }
                    if !matches {
                        failures.withLock { $0.append("worker \(worker) round \(round): \(gradient) != \(expected)") }
                    }
                }
            }
            thread.start()
        }
        group.wait()
        let found = failures.withLock { $0 }
        #expect(found.isEmpty, "\(found.prefix(3))")
    }

    @Test func nestedTapesOnSeveralThreadsAtOnce() {
        let results = Mutex<[Int: Float]>([:])
        let group = DispatchGroup()
        for worker in 0..<3 {
            group.enter()
            let thread = Thread {
                defer { group.leave() }
                // d²/dx² of 3x³ + x² at x is 18x + 2.
                let x = Variable(Float(worker + 1))
                let outer = GradientTape()
                let d1 = outer.record { () -> Tensor in
                    let inner = GradientTape()
                    let y = inner.record { 3 * x.value.pow(3) + x.value.pow(2) }
                    return inner.gradient(of: y, withRespectTo: x)!
                }
                let d2 = outer.gradient(of: d1, withRespectTo: x)!.scalar
                results.withLock { $0[worker] = d2 }
            }
            thread.start()
        }
        group.wait()
        #expect(results.withLock { $0 } == [0: 20, 1: 38, 2: 56])
    }
}
