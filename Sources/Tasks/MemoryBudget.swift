#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// How much memory a run may need, checked before anything large is allocated: a config can
/// name sizes no machine has (a class label of 9 999 999 makes an output layer of ten million
/// units, `"hidden_layers": [100000000]` billions of parameters), and allocating them first
/// ends in the kernel's out-of-memory killer rather than in a message.
///
/// The limit is the least of the machine's physical memory (`sysconf(_SC_PHYS_PAGES) ×
/// _SC_PAGESIZE`), the process's address-space limit (`ulimit -v`, `RLIMIT_AS`) and its control
/// group's memory limit (`memory.max`, or `memory.limit_in_bytes` of cgroup v1), where they are
/// set; or the environment variable `SWIFTGRAD_MAX_MEMORY_MB` when it is set (lower, to leave
/// room for other work; or higher, where swap makes that sensible).
package struct MemoryBudget: Sendable, Equatable {
    /// The environment variable that replaces the physical-memory limit, in MiB.
    package static let environmentVariable = "SWIFTGRAD_MAX_MEMORY_MB"

    /// The most bytes a run may need.
    package var limit: Int
    /// Where the limit comes from, for messages: "the machine's physical memory" or
    /// "SWIFTGRAD_MAX_MEMORY_MB=512".
    package var origin: String

    package init(limit: Int, origin: String) {
        self.limit = limit
        self.origin = origin
    }

    /// The machine's physical memory, or `nil` where `sysconf` cannot say.
    package static var physicalMemory: Int? {
        let pages = sysconf(Int32(_SC_PHYS_PAGES)), pageSize = sysconf(Int32(_SC_PAGESIZE))
        guard pages > 0, pageSize > 0 else { return nil }
        let (bytes, overflow) = pages.multipliedReportingOverflow(by: pageSize)
        return overflow ? Int.max : bytes
    }

    /// The process's address-space limit (`RLIMIT_AS`), or `nil` when it has none.
    package static var addressSpaceLimit: Int? {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_AS.rawValue), &limit) == 0, limit.rlim_cur != rlim_t.max else { return nil }
        return limit.rlim_cur > UInt(Int.max) ? nil : Int(limit.rlim_cur)
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

    /// The budget this process runs under: `SWIFTGRAD_MAX_MEMORY_MB` when set, else the least
    /// of the physical memory, the address-space limit and the control group's limit (no limit
    /// where none is known).
    ///
    /// - Throws: `MemoryBudgetError` when the variable is set to anything but a whole number of
    ///   MiB from 1 to 2⁴³ − 1.
    package static func current(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> MemoryBudget {
        if let text = environment[environmentVariable] {
            guard let megabytes = Int(text.trimmingCharacters(in: .whitespaces)), (1...(1 << 43 - 1)).contains(megabytes) else {
                throw MemoryBudgetError("\(environmentVariable)='\(text)' is not a memory size; expected a whole number of MiB from 1 to \(1 << 43 - 1)")
            }
            return MemoryBudget(limit: megabytes << 20, origin: "\(environmentVariable)=\(megabytes)")
        }
        let limits: [(bytes: Int?, origin: String)] = [
            (physicalMemory, "the machine's physical memory"),
            (addressSpaceLimit, "the process's address-space limit (ulimit -v)"),
            (controlGroupLimit, "the control group's memory limit"),
        ]
        let known = limits.compactMap { limit in limit.bytes.map { MemoryBudget(limit: $0, origin: limit.origin) } }
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
        throw MemoryBudgetError(
            "\(what) would need \(estimate.total == Int.max ? "" : "about ")\(Self.format(estimate.total)) of memory (\(parts)), more than the \(Self.format(limit)) of \(origin); \(advice), or set \(Self.environmentVariable) to change the limit")
    }

    /// `1.5 GiB`, `12.0 MiB`, `512 bytes`; `more than 8 EiB` for a saturated count.
    package static func format(_ bytes: Int) -> String {
        if bytes == Int.max { return "more than 8 EiB" }
        let units = ["bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"]
        var value = Double(bytes)
        var unit = 0
        while value >= 1024 && unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return unit == 0 ? "\(bytes) bytes" : String(format: "%.1f %@", value, units[unit])
    }
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
    package static func product(_ factors: [Int]) -> Int {
        var result = 1
        for factor in factors {
            if factor == 0 { return 0 }
            let (next, overflow) = result.multipliedReportingOverflow(by: Swift.max(factor, 0))
            if overflow { result = Int.max } else { result = next }
        }
        return result
    }

    /// The sum of non-negative `terms`, or `Int.max` when it overflows.
    package static func sum(_ terms: [Int]) -> Int {
        var result = 0
        for term in terms {
            let (next, overflow) = result.addingReportingOverflow(Swift.max(term, 0))
            if overflow { return Int.max }
            result = next
        }
        return result
    }
}

/// A run that would need more memory than it may use, or an unreadable memory limit.
package struct MemoryBudgetError: Error, CustomStringConvertible, Equatable {
    package let description: String
    package init(_ description: String) { self.description = description }
}
