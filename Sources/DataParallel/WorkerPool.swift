import Autograd
import CKernels
import Dispatch
import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs numbered jobs concurrently and waits for all of them, with helper threads that stay
/// ready between calls.
///
/// A training step hands work to its workers twice (the forward and backward passes, then the
/// all-reduce), a few milliseconds apart. `DispatchQueue.concurrentPerform` wakes a sleeping
/// thread each time, which costs 55–120 µs per call on a virtual machine (measured on the 2-core
/// CI machine): 3–5 % of a two-worker step. So the pool keeps its helpers the way OpenMP keeps
/// its team: each helper is a long-lived work item on a serial Dispatch queue of its own that,
/// after a job, spins for a moment (``spinSeconds``) watching for the next one, and only then
/// sleeps on a semaphore; a call then costs 2–25 µs. The calling thread runs its share itself
/// and waits the same way, spinning first and then sleeping until the last helper wakes it.
///
/// Like `concurrentPerform`, the pool never uses more threads than cores: with `count` jobs and
/// `P = min(count, cores)` threads, thread `t` (the caller is thread 0) runs jobs `t`, `t + P`,
/// `t + 2P`, …. Spinning threads yield their core to any other thread ready to run on it.
///
/// Each job runs with the calling thread's tapes suspended, so a ``GradientTape`` the caller may
/// be recording with never sees a worker's operations (tapes are per thread); the workers' own
/// tapes record as usual. Calls must not overlap: one thread (the engine's owner) uses a pool.
package final class WorkerPool: Sendable {
    /// How long a thread spins for the next job, or for the other threads to finish, before it
    /// sleeps. Long enough to bridge the gaps within and between training steps (tens of µs),
    /// short enough that an idle pool costs nothing measurable.
    static let spinSeconds = 0.0005

    private let state: PoolState

    /// The most threads a call runs at once, the caller's included.
    package var cores: Int { state.cores }

    /// The board on which jobs post matrix products for idle threads to help with, if the pool
    /// has one.
    var helpBoard: HelpBoard? { state.helpBoard }

    /// Makes a pool that runs at most `cores` threads at once (the caller's included); every
    /// core of the machine by default. With `helpSlots` > 0 the pool has a ``HelpBoard`` of that
    /// many slots, and its threads, while they wait, compute pieces of the products posted there.
    package init(cores: Int = ProcessInfo.processInfo.activeProcessorCount, helpSlots: Int = 0) {
        state = PoolState(cores: Swift.max(1, cores), helpBoard: helpSlots > 0 ? HelpBoard(slots: helpSlots) : nil)
    }

    deinit { state.shutDown() }

    /// Runs `job(0) … job(count − 1)` concurrently and returns when all have finished.
    package func run(_ count: Int, _ job: @escaping @Sendable (Int) -> Void) {
        countPrecondition(count, "WorkerPool.run: count")
        let threads = Swift.min(count, state.cores)
        if threads == 1 {
            withoutRecording { for index in 0..<count { job(index) } }
            return
        }
        state.ensureHelpers(threads - 1)
        state.start(count: count, threads: threads, job: job)
        withoutRecording { PoolState.runShare(thread: 0, threads: threads, count: count, job: job) }
        state.waitForHelpers()
    }
}

/// A thread's way to sleep until another wakes it, without losing a wake-up that comes between
/// its last look and its falling asleep.
private final class Parker: Sendable {
    private let parked = Atomic<Bool>(false)
    private let semaphore = DispatchSemaphore(value: 0)

    /// Sleeps unless `isReady()` turns true; returns once woken or ready.
    func park(until isReady: () -> Bool) {
        parked.store(true, ordering: .sequentiallyConsistent)
        if isReady() {
            // Withdraw; if a waker already took the flag, its signal is on the way: consume it.
            if !parked.exchange(false, ordering: .sequentiallyConsistent) { semaphore.wait() }
            return
        }
        semaphore.wait()
    }

    /// Wakes the thread if it is asleep or about to be.
    func unpark() {
        if parked.exchange(false, ordering: .sequentiallyConsistent) { semaphore.signal() }
    }
}

/// What the calling thread and the helpers share.
private final class PoolState: Sendable {
    typealias Job = @Sendable (Int) -> Void

    let cores: Int
    let helpBoard: HelpBoard?
    /// Bumped once per job; spinning helpers watch it.
    private let generation = Atomic<Int>(0)
    /// The current job, its generation, its count and the threads sharing it. A helper takes
    /// them in one look, so it can never run one job under another's generation.
    private let current = Locked<(generation: Int, job: Job?, count: Int, threads: Int)>((0, nil, 0, 0))
    /// Helpers still running their share of the current job.
    private let remaining = Atomic<Int>(0)
    private let stopping = Atomic<Bool>(false)
    private let callerParker = Parker()
    /// One parker per helper; helper `i` is thread `i + 1`.
    private let helpers = Locked<[Parker]>([])

    init(cores: Int, helpBoard: HelpBoard?) {
        self.cores = cores
        self.helpBoard = helpBoard
    }

    /// Thread `thread`'s jobs of `count`, shared round-robin among `threads` threads.
    static func runShare(thread: Int, threads: Int, count: Int, job: Job) {
        for index in stride(from: thread, to: count, by: threads) { job(index) }
    }

    /// Starts helpers until there are at least `count`. Each has a serial queue of its own:
    /// such queues always get a thread of their own, where work items on a shared concurrent
    /// queue could wait for one while other helpers sleep on theirs.
    func ensureHelpers(_ count: Int) {
        helpers.withLock { parkers in
            while parkers.count < count {
                let parker = Parker()
                let thread = parkers.count + 1
                let seen = generation.load(ordering: .sequentiallyConsistent)
                parkers.append(parker)
                DispatchQueue(label: "SwiftGrad.WorkerPool.\(thread)").async {
                    self.helperLoop(thread: thread, parker: parker, seen: seen)
                }
            }
        }
    }

    func start(count: Int, threads: Int, job: @escaping Job) {
        remaining.store(threads - 1, ordering: .sequentiallyConsistent)
        let next = current.withLock { current in
            current = (current.generation + 1, job, count, threads)
            return current.generation
        }
        generation.store(next, ordering: .sequentiallyConsistent)
        for parker in helpers.withLock({ $0 }) { parker.unpark() }
    }

    func waitForHelpers() {
        if !spin(until: { remaining.load(ordering: .acquiring) == 0 }) {
            callerParker.park { remaining.load(ordering: .sequentiallyConsistent) == 0 }
            // A wake-up can only come from the last helper, so the job is done; spin out any
            // delay between its decrement and our look.
            while remaining.load(ordering: .acquiring) != 0 { sg_cpu_relax() }
        }
        current.withLock { $0.job = nil }
    }

    func shutDown() {
        stopping.store(true, ordering: .sequentiallyConsistent)
        generation.add(1 << 32, ordering: .sequentiallyConsistent)
        for parker in helpers.withLock({ $0 }) { parker.unpark() }
    }

    private func helperLoop(thread: Int, parker: Parker, seen start: Int) {
        var seen = start      // the watched counter when this helper last looked
        var lastJob = start   // the generation of the last job it handled
        while true {
            let isNew = { self.generation.load(ordering: .sequentiallyConsistent) != seen }
            if !spin(until: isNew) { parker.park(until: isNew) }
            if stopping.load(ordering: .sequentiallyConsistent) { return }
            seen = generation.load(ordering: .sequentiallyConsistent)
            let (jobGeneration, job, count, threads) = current.withLock { $0 }
            // A helper that sat a job out may look late and find the next job already there; it
            // takes its share of that one, once.
            guard jobGeneration != lastJob else { continue }
            lastJob = jobGeneration
            guard let job, thread < threads else { continue }
            withoutRecording { Self.runShare(thread: thread, threads: threads, count: count, job: job) }
            if remaining.subtract(1, ordering: .sequentiallyConsistent).newValue == 0 { callerParker.unpark() }
        }
    }

    /// Spins until `condition()` holds or ``WorkerPool/spinSeconds`` pass without any work to
    /// help with on the board; returns whether it held.
    private func spin(until condition: () -> Bool) -> Bool {
        var deadline: ContinuousClock.Instant?
        var round = 0
        while !condition() {
            if let helpBoard, helpBoard.help() {
                deadline = nil
                continue
            }
            sg_cpu_relax()
            round &+= 1
            if round & 63 == 0 {
                sched_yield()
                let now = ContinuousClock.now
                if let deadline {
                    if now >= deadline { return false }
                } else {
                    deadline = now + .seconds(WorkerPool.spinSeconds)
                }
            }
        }
        return true
    }
}
