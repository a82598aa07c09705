#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import Storage

/// How much memory a run may need, checked before anything large is allocated: a config can
/// name sizes no machine has (a class label of 9 999 999 makes an output layer of ten million
/// units, `"hidden_layers": [100000000]` billions of parameters), and allocating them first
/// ends in the kernel's out-of-memory killer, or under a process limit in an allocation that
/// fails and stops the process, rather than in a message.
///
/// The limit is the least of
/// - the machine's physical memory (`sysconf(_SC_PHYS_PAGES) × _SC_PAGESIZE`) and its control
///   group's memory limit (`memory.max`, or `memory.limit_in_bytes` of cgroup v1), where set;
///   or instead of both the environment variable `SWIFTGRAD_MAX_MEMORY_MB` when it is set
///   (lower, to leave room for other work; or higher, where swap makes that sensible);
/// - the process's address-space limit (`ulimit -v`, `RLIMIT_AS`) and data-segment limit
///   (`ulimit -d`, `RLIMIT_DATA`), where set, each less what the process already uses of it
///   (`/proc/self/statm`'s size, and its data and stack) and the stacks of the threads a run
///   may start (``ProcessLimits/threadStacks``). These hold whatever the variable says: past
///   them an allocation fails, and swap makes no room.
///
/// The budget is taken when an estimate is checked, so what the process holds by then (a
/// checkpoint read before the data) is no longer counted as free under a process limit.
package struct MemoryBudget: Sendable, Equatable {
    /// The environment variable that replaces the machine's limits, in MiB.
    package static let environmentVariable = "SWIFTGRAD_MAX_MEMORY_MB"

    /// The most bytes a run may need.
    package var limit: Int
    /// Where the limit comes from, for messages: "the machine's physical memory" or
    /// "SWIFTGRAD_MAX_MEMORY_MB=512".
    package var origin: String
    /// How to change the limit, ending a refusal: the variable for the machine's limits, the
    /// shell's `ulimit` for the process's own, which the variable cannot raise.
    package var remedy: String

    package init(limit: Int, origin: String, remedy: String = "set \(environmentVariable) to change the limit") {
        self.limit = limit
        self.origin = origin
        self.remedy = remedy
    }

    /// The limit and its description as a reader that stops at a limit takes them
    /// (`Dataset.loadCSVCheckingHeader`'s and `Checkpoint.read`'s `memory`):
    /// `the 512.0 MiB of SWIFTGRAD_MAX_MEMORY_MB=512`.
    package var allowance: (bytes: Int, description: String) {
        (limit, "the \(Self.format(limit)) of \(origin)")
    }

    /// The machine's physical memory, or `nil` where `sysconf` cannot say.
    package static var physicalMemory: Int? {
        let pages = sysconf(Int32(_SC_PHYS_PAGES)), pageSize = sysconf(Int32(_SC_PAGESIZE))
        guard pages > 0, pageSize > 0 else { return nil }
        let (bytes, overflow) = pages.multipliedReportingOverflow(by: pageSize)
        return overflow ? Int.max : bytes
    }

    /// The process's own limits and what it already uses of them: unlike the machine's
    /// memory, these are fixed for the process, and what it holds counts against them.
    package struct ProcessLimits: Sendable, Equatable {
        /// The address-space limit (`ulimit -v`, `RLIMIT_AS`) in bytes; `nil` when none is set.
        package var addressSpace: Int?
        /// The data-segment limit (`ulimit -d`, `RLIMIT_DATA`, which counts every private
        /// writable mapping) in bytes; `nil` when none is set.
        package var data: Int?
        /// The address space the process has mapped, in bytes.
        package var addressSpaceInUse: Int
        /// Its data and stack segments, in bytes.
        package var dataInUse: Int
        /// The stacks of the threads a run may start, in bytes: mapped whole when a thread
        /// starts, they count against both limits.
        package var threadStacks: Int

        package init(addressSpace: Int?, data: Int?, addressSpaceInUse: Int = 0, dataInUse: Int = 0, threadStacks: Int = 0) {
            self.addressSpace = addressSpace
            self.data = data
            self.addressSpaceInUse = addressSpaceInUse
            self.dataInUse = dataInUse
            self.threadStacks = threadStacks
        }

        /// This process's limits (`getrlimit`) and use (`/proc/self/statm`; none where it
        /// cannot be read), now; for thread stacks, those of the threads a run may still start
        /// (``stacksToReserve(cores:running:stackLimit:)``).
        package static var current: ProcessLimits {
            func limit(_ resource: Int32) -> Int? {
                var limit = rlimit()
                guard getrlimit(resource, &limit) == 0, limit.rlim_cur != rlim_t.max else { return nil }
                return limit.rlim_cur > UInt(Int.max) ? nil : Int(limit.rlim_cur)
            }
            var inUse = (addressSpace: 0, data: 0)
            // Pages: size, resident, shared, text, library (unused), data and stack, dirty.
            if let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) {
                let pages = text.split(whereSeparator: { $0 == " " || $0 == "\n" }).map { Int($0) ?? 0 }
                let pageSize = Swift.max(sysconf(Int32(_SC_PAGESIZE)), 1)
                if pages.count >= 6 { inUse = (MemoryEstimate.product([pages[0], pageSize]), MemoryEstimate.product([pages[5], pageSize])) }
            }
            // Each entry of /proc/self/task is a thread; one, this, where it cannot be read.
            let running = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task").count) ?? 1
            return ProcessLimits(
                addressSpace: limit(Int32(RLIMIT_AS.rawValue)), data: limit(Int32(RLIMIT_DATA.rawValue)),
                addressSpaceInUse: inUse.addressSpace, dataInUse: inUse.data,
                threadStacks: stacksToReserve(
                    cores: ProcessInfo.processInfo.activeProcessorCount, running: running, stackLimit: defaultThreadStack ?? limit(Int32(RLIMIT_STACK.rawValue))))
        }

        /// The stack size glibc gives a thread made without one: `ulimit -s`, unless the program
        /// set another default (the command line raises a small one); `nil` where it cannot be
        /// read. `pthread_getattr_default_np` is a GNU extension that Swift's Glibc module does
        /// not declare, so it is looked up by name.
        private static var defaultThreadStack: Int? {
            #if canImport(Glibc)
            guard let symbol = dlsym(nil, "pthread_getattr_default_np") else { return nil }
            typealias GetDefault = @convention(c) (UnsafeMutablePointer<pthread_attr_t>) -> Int32
            var attributes = pthread_attr_t()
            guard unsafeBitCast(symbol, to: GetDefault.self)(&attributes) == 0 else { return nil }
            defer { pthread_attr_destroy(&attributes) }
            var size = 0
            return pthread_attr_getstacksize(&attributes, &size) == 0 && size > 0 ? size : nil
            #else
            return nil
            #endif
        }

        /// The stacks of the threads a run may still start, in bytes: a thread per core (a
        /// worker or an OpenMP thread of the kernels) and four more (the output and checkpoint
        /// writers among them), less the `running` threads, whose stacks are mapped already;
        /// each of the default stack size (glibc's default, which is `ulimit -s` unless the program
        /// set another), at most 64 MiB, and 8 MiB when there is none.
        package static func stacksToReserve(cores: Int, running: Int, stackLimit: Int?) -> Int {
            let stack = Swift.min(stackLimit ?? 8 << 20, 64 << 20)
            return MemoryEstimate.product([Swift.max(cores + 4 - running, 0), stack])
        }

        /// What is left under each limit that is set, with its description.
        var budgets: [MemoryBudget] {
            let stacks = threadStacks > 0 ? " and \(format(threadStacks)) for the stacks of its threads" : ""
            var budgets: [MemoryBudget] = []
            if let addressSpace {
                budgets.append(MemoryBudget(
                    limit: Swift.max(addressSpace - MemoryEstimate.sum([addressSpaceInUse, threadStacks]), 0),
                    origin: "the process's address-space limit (ulimit -v) less the \(format(addressSpaceInUse)) it has mapped\(stacks)",
                    remedy: "raise that limit (ulimit -v)"))
            }
            if let data {
                budgets.append(MemoryBudget(
                    limit: Swift.max(data - MemoryEstimate.sum([dataInUse, threadStacks]), 0),
                    origin: "the process's data-segment limit (ulimit -d) less the \(format(dataInUse)) it uses\(stacks)",
                    remedy: "raise that limit (ulimit -d)"))
            }
            return budgets
        }
    }

    /// The memory limit of the process's control group, or `nil` when none is set or it
    /// cannot be read. cgroup v2 says `max` for none, v1 a number near 2⁶³.
    package static var controlGroupLimit: Int? {
        for file in ["/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"] {
            guard let text = try? String(contentsOfFile: file, encoding: .utf8) else { continue }
            if let bytes = Int(text.trimmingCharacters(in: .whitespacesAndNewlines)), bytes > 0, bytes < 1 << 62 { return bytes }
            return nil
        }
        return nil
    }

    /// The budget this process runs under now: the least of `SWIFTGRAD_MAX_MEMORY_MB` when set
    /// (else the physical memory and the control group's limit) and what is left under the
    /// process's address-space and data-segment limits (no limit where none is known).
    ///
    /// - Parameters:
    ///   - environment: where `SWIFTGRAD_MAX_MEMORY_MB` is looked up.
    ///   - process: the process's limits and use; this process's now by default.
    /// - Throws: `MemoryBudgetError` when the variable is set to anything but a whole number of
    ///   MiB from 1 to 2⁴³ − 1.
    package static func current(
        environment: [String: String] = ProcessInfo.processInfo.environment, process: ProcessLimits = .current
    ) throws -> MemoryBudget {
        var known: [MemoryBudget] = []
        if let text = environment[environmentVariable] {
            guard let megabytes = Int(text.trimmingCharacters(in: .whitespaces)), (1...(1 << 43 - 1)).contains(megabytes) else {
                throw MemoryBudgetError("\(environmentVariable)='\(text)' is not a memory size; expected a whole number of MiB from 1 to \(1 << 43 - 1)")
            }
            known.append(MemoryBudget(limit: megabytes << 20, origin: "\(environmentVariable)=\(megabytes)"))
        } else {
            if let physicalMemory { known.append(MemoryBudget(limit: physicalMemory, origin: "the machine's physical memory")) }
            if let controlGroupLimit { known.append(MemoryBudget(limit: controlGroupLimit, origin: "the control group's memory limit")) }
        }
        known += process.budgets
        return known.min { $0.limit < $1.limit } ?? MemoryBudget(limit: Int.max, origin: "no known limit")
    }

    /// Refuses `estimate` when it exceeds the limit.
    ///
    /// - Parameters:
    ///   - estimate: what the run would need.
    ///   - what: what would need it, starting the message: `"'train.json' trains a model that"`.
    ///   - advice: what to change, ending the message.
    /// - Throws: `MemoryBudgetError` naming the estimate, its largest parts and the limit.
    package func check(_ estimate: MemoryEstimate, _ what: String, advice: String) throws {
        guard estimate.total > limit else { return }
        let parts = estimate.parts.filter { $0.bytes > 0 }.sorted { $0.bytes > $1.bytes }
            .map { "\($0.name) \(Self.format($0.bytes))" }.joined(separator: ", ")
        let available = limit > 0 ? "more than the \(Self.format(limit)) of \(origin)" : "and nothing is left of \(origin)"
        throw MemoryBudgetError(
            "\(what) would need \(estimate.total == Int.max ? "" : "about ")\(Self.format(estimate.total)) of memory (\(parts)), \(available); \(advice), or \(remedy)")
    }

    /// `1.5 GiB`, `12.0 MiB`, `512 bytes`; `more than 8 EiB` for a saturated count.
    package static func format(_ bytes: Int) -> String { memorySize(bytes) }
}

/// What a run would allocate, by part, in bytes; every sum and product saturates at `Int.max`
/// instead of overflowing, so sizes no machine has still give a (refused) estimate.
package struct MemoryEstimate: Sendable, Equatable {
    package struct Part: Sendable, Equatable {
        package var name: String
        package var bytes: Int
    }

    package private(set) var parts: [Part] = []

    package init() {}

    /// Adds a part of `factors` multiplied together, in bytes.
    package mutating func add(_ name: String, _ factors: Int...) {
        parts.append(Part(name: name, bytes: Self.product(factors)))
    }

    /// Every part summed, saturating.
    package var total: Int { Self.sum(parts.map(\.bytes)) }

    /// The product of non-negative `factors`, or `Int.max` when it overflows.
    package static func product(_ factors: [Int]) -> Int { saturatingProduct(factors) }

    /// The sum of non-negative `terms`, or `Int.max` when it overflows.
    package static func sum(_ terms: [Int]) -> Int { saturatingSum(terms) }
}

/// A run that would need more memory than it may use, or an unreadable memory limit.
package struct MemoryBudgetError: Error, CustomStringConvertible, Equatable {
    package let description: String
    package init(_ description: String) { self.description = description }
}
