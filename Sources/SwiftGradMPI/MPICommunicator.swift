import Autograd
import CMPIShim
import Foundation
import Synchronization

/// This process's place in an MPI job (`MPI_COMM_WORLD`): its rank, the job's size, and the
/// deadline every exchange between ranks keeps.
///
/// MPI is initialised once per process, by ``init(timeout:)``, and finalised by ``finalize()``;
/// in between, one thread at a time calls it (the thread that drives the trainer).
///
/// Every exchange is made of non-blocking sends and receives polled until they complete or the
/// deadline passes (``timeout``). A rank that stops answering (stopped, swapped out, on a host
/// that hangs) then makes the others end the whole job with ``abort(_:code:)`` and a message that
/// names it and the step, instead of waiting forever. A rank that dies is noticed by the launcher:
/// Open MPI's `mpirun` ends the job when a process exits without `MPI_Finalize`, naming its rank;
/// MPICH's Hydra ends it too, naming a process id.
public final class MPICommunicator: Sendable {
    /// This process's rank, `0..<size`.
    public let rank: Int
    /// The ranks of the job.
    public let size: Int
    /// How long an exchange may wait for another rank before the job is ended.
    public let timeout: Duration
    /// The host's name, as MPI gives it.
    public let hostName: String
    /// The ranks of the whole job (`MPI_COMM_WORLD`): ``size``, except in a view of the first
    /// ranks (``firstRanks(_:)``).
    let worldSize: Int

    /// The deadline ``init(timeout:)`` keeps by default: five minutes, long enough for a slow
    /// rank to load its data or evaluate, short enough that a hung job does not hold its
    /// machines for hours.
    public static let defaultTimeout = Duration.seconds(300)

    /// Initialises MPI and joins `MPI_COMM_WORLD`.
    ///
    /// `MPI_Init` waits for every process of the job to join. Should it not return within
    /// `timeout` (at least a minute), the process ends with exit status 1 and a message: a
    /// process of the job that never joins MPI would otherwise keep this one waiting forever.
    ///
    /// - Parameter timeout: how long an exchange waits for another rank (``defaultTimeout`` by
    ///   default).
    /// - Throws: ``MPIError`` when MPI was already initialised in this process or fails to start.
    public init(timeout: Duration = MPICommunicator.defaultTimeout) throws {
        guard timeout > .zero else { throw MPIError("the MPI timeout must be positive, got \(timeout)") }
        if sgmpi_is_initialized() != 0 {
            throw MPIError("MPI is already initialised in this process; make one MPICommunicator per process")
        }
        var rank: Int32 = 0, size: Int32 = 0
        let code = Self.withStartDeadline(Swift.max(timeout, Self.shortestStartTimeout)) { sgmpi_initialize(&rank, &size) }
        guard code == 0 else { throw MPIError("MPI_Init_thread failed with error code \(code)") }
        self.rank = Int(rank)
        self.size = Int(size)
        self.worldSize = Int(size)
        self.timeout = timeout
        var name = [CChar](repeating: 0, count: 256)
        sgmpi_processor_name(&name, Int32(name.count))
        self.hostName = String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The least time `MPI_Init` is given, whatever the exchanges' deadline: starting a job's
    /// processes across hosts can take longer than an exchange between running ones.
    static let shortestStartTimeout = Duration.seconds(60)

    /// Runs `start` (`MPI_Init`), ending the process with a message and exit status 1 should it
    /// not return within `timeout`.
    ///
    /// `MPI_Init` waits for every process of the job to join; Open MPI's never gives up. A
    /// process of the job that never joins (one started as `swiftgrad grad` beside ranks started
    /// as `swiftgrad run`, or one that hangs before it joins) would keep the others waiting
    /// forever, and the launcher ends a job only once one of its processes fails: this one then
    /// does, naming the deadline.
    private static func withStartDeadline<T>(_ timeout: Duration, _ start: () -> T) -> T {
        let flag = StartFlag()
        let deadline = ContinuousClock.now + timeout
        let message = "error: MPI_Init did not complete within \(timeout.formattedSeconds): every process of the job must join MPI, as `swiftgrad run` and `swiftgrad bench` do under mpirun (validate, eval, predict, plot and grad do not); set a longer deadline with --mpi-timeout\n"
        Thread.detachNewThread {
            while !flag.started.load(ordering: .acquiring) {
                if ContinuousClock.now >= deadline {
                    FileHandle.standardError.write(Data(message.utf8))
                    // Not exit: its handlers could wait on MPI, which the main thread holds.
                    _exit(1)
                }
                Thread.sleep(forTimeInterval: 0.05)
            }
        }
        let result = start()
        flag.started.store(true, ordering: .releasing)
        return result
    }

    private init(rank: Int, size: Int, worldSize: Int, timeout: Duration, hostName: String) {
        self.rank = rank
        self.size = size
        self.worldSize = worldSize
        self.timeout = timeout
        self.hostName = hostName
    }

    /// Ranks `0..<count` of this job as a job of their own, for this rank, which must be one of
    /// them: its exchanges (``allGather(_:what:timeout:idle:)``, ``broadcast(_:from:what:)``, an
    /// ``MPIGradientReducer``'s deterministic reduction) involve only those ranks, so the others
    /// may sit them out. `swiftgrad bench scaling` times 1, 2, … ranks of one job this way.
    ///
    /// The view shares this process's MPI (finalising either finalises both) and its message
    /// tags, so exchanges of the view and of the whole job must not overlap. It cannot run
    /// `MPI_Allreduce` (``MPIGradientReducer/Reduction-swift.enum/allreduce``), a collective of
    /// the whole job.
    package func firstRanks(_ count: Int) -> MPICommunicator {
        usagePrecondition((1...worldSize).contains(count) && rank < count, "MPICommunicator.firstRanks: \(count) ranks of \(worldSize) do not include rank \(rank)")
        return MPICommunicator(rank: rank, size: count, worldSize: worldSize, timeout: timeout, hostName: hostName)
    }

    /// The MPI library's own description of itself (`MPI_Get_library_version`).
    public var libraryVersion: String {
        var text = [CChar](repeating: 0, count: 8192)
        sgmpi_library_version(&text, Int32(text.count))
        return String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Ends MPI in this process (`MPI_Finalize`); every rank must call it before exiting, once
    /// every exchange is done. Calling it again does nothing.
    public func finalize() {
        if sgmpi_is_finalized() == 0 { _ = sgmpi_finalize() }
    }

    /// Writes `error: rank R: <message>` to standard error and ends every rank of the job with
    /// exit status `code` (`MPI_Abort`).
    public func abort(_ message: String, code: Int32 = 1) -> Never {
        FileHandle.standardError.write(Data("error: rank \(rank): \(message)\n".utf8))
        sgmpi_abort(code)
        // MPI_Abort does not return; should an implementation return anyway, end this rank.
        exit(code)
    }

    /// Every rank's `bytes`, indexed by rank (this rank's own included), the same on every rank.
    ///
    /// - Parameters:
    ///   - bytes: this rank's bytes; each rank may send a different length.
    ///   - what: what is exchanged, for the message should a rank not answer.
    ///   - timeout: how long to wait for the other ranks; ``timeout`` when `nil`.
    ///   - idle: whether this rank has nothing else to do while it waits (another rank is busy
    ///     for a long while): it then sleeps between polls instead of spinning, leaving its core
    ///     to the ranks at work.
    /// - Returns: every rank's bytes, by rank.
    public func allGather(_ bytes: [UInt8], what: String, timeout: Duration? = nil, idle: Bool = false) -> [[UInt8]] {
        // The lengths first, then the bytes.
        var lengths = [UInt64](repeating: 0, count: size)
        lengths[rank] = UInt64(bytes.count)
        lengths.withUnsafeMutableBytes { table in
            let exchange = Exchange(self)
            let entry = MemoryLayout<UInt64>.size
            for peer in 0..<size where peer != rank {
                exchange.receive(table.baseAddress! + peer * entry, bytes: entry, from: peer, tag: Tag.gatherLengths)
                exchange.send(UnsafeRawPointer(table.baseAddress! + rank * entry), bytes: entry, to: peer, tag: Tag.gatherLengths)
            }
            exchange.wait(what: what, step: nil, timeout: timeout, idle: idle)
        }
        // Every rank's bytes one after another in one buffer, which stays put while MPI uses it.
        let counts = lengths.map { Int(clamping: $0) }
        var offsets = [0]
        for count in counts { offsets.append(offsets.last! + count) }
        let all = UnsafeMutableRawBufferPointer.allocate(byteCount: Swift.max(1, offsets.last!), alignment: 8)
        defer { all.deallocate() }
        bytes.withUnsafeBytes { own in
            if own.count > 0 { (all.baseAddress! + offsets[rank]).copyMemory(from: own.baseAddress!, byteCount: own.count) }
        }
        let exchange = Exchange(self)
        for peer in 0..<size where peer != rank {
            exchange.receive(all.baseAddress! + offsets[peer], bytes: counts[peer], from: peer, tag: Tag.gatherBytes)
            exchange.send(UnsafeRawPointer(all.baseAddress! + offsets[rank]), bytes: counts[rank], to: peer, tag: Tag.gatherBytes)
        }
        exchange.wait(what: what, step: nil, timeout: timeout, idle: idle)
        return (0..<size).map { Array(UnsafeRawBufferPointer(rebasing: all[offsets[$0]..<offsets[$0 + 1]])) }
    }

    /// Rank `root`'s bytes on every rank: `root` sends them to each other rank, which receives
    /// them without knowing their length beforehand. What the other ranks pass is ignored.
    ///
    /// It lets one rank read a file that only it can see (a checkpoint on its own disk) and hand
    /// the others its contents.
    ///
    /// - Parameters:
    ///   - bytes: the bytes to send, on `root`; anything (an empty array) on the other ranks.
    ///   - root: the rank that sends, `0..<size`.
    ///   - what: what is sent, for the message should a rank not answer.
    /// - Returns: `root`'s bytes.
    public func broadcast(_ bytes: [UInt8], from root: Int = 0, what: String) -> [UInt8] {
        usagePrecondition((0..<size).contains(root), "MPICommunicator.broadcast: root \(root) is not a rank of \(size)")
        var length = [UInt64(rank == root ? bytes.count : 0)]
        length.withUnsafeMutableBytes { word in
            let exchange = Exchange(self)
            if rank == root {
                for peer in 0..<size where peer != root {
                    exchange.send(UnsafeRawPointer(word.baseAddress!), bytes: word.count, to: peer, tag: Tag.broadcastLength)
                }
            } else {
                exchange.receive(word.baseAddress!, bytes: word.count, from: root, tag: Tag.broadcastLength)
            }
            exchange.wait(what: what, step: nil)
        }
        if rank == root {
            bytes.withUnsafeBytes { own in
                let exchange = Exchange(self)
                for peer in 0..<size where peer != root {
                    exchange.send(own.baseAddress, bytes: own.count, to: peer, tag: Tag.broadcastBytes)
                }
                exchange.wait(what: what, step: nil)
            }
            return bytes
        }
        guard let count = Int(exactly: length[0]) else { abort("rank \(root) announced \(length[0]) bytes of \(what)") }
        var received = [UInt8](repeating: 0, count: count)
        received.withUnsafeMutableBytes { buffer in
            let exchange = Exchange(self)
            exchange.receive(buffer.baseAddress, bytes: buffer.count, from: root, tag: Tag.broadcastBytes)
            exchange.wait(what: what, step: nil)
        }
        return received
    }

    /// Ranks that did not answer, as a phrase: `rank 2`, `ranks 1, 3`, or the collective.
    static func describe(ranks: [Int]) -> String {
        if ranks == [-1] { return "a rank (MPI_Allreduce does not say which)" }
        return ranks.count == 1 ? "rank \(ranks[0])" : "ranks \(ranks.map(String.init).joined(separator: ", "))"
    }
}

/// The message tags of SwiftGradMPI's exchanges; messages between two ranks with one tag arrive in
/// the order they were sent, so a tag is reused from step to step.
enum Tag {
    static let gatherLengths: Int32 = 101
    static let gatherBytes: Int32 = 102
    static let broadcastLength: Int32 = 103
    static let broadcastBytes: Int32 = 104
    static let results: Int32 = 201
    static let scatter: Int32 = 202
    static let gather: Int32 = 203
}

/// Non-blocking sends and receives posted together and waited for with the communicator's
/// deadline. Buffers must stay valid until ``wait(what:step:)`` returns.
final class Exchange {
    private let communicator: MPICommunicator
    private let requests: OpaquePointer

    init(_ communicator: MPICommunicator) {
        self.communicator = communicator
        guard let requests = sgmpi_requests_create() else { communicator.abort("out of memory for MPI requests") }
        self.requests = requests
    }

    deinit { sgmpi_requests_destroy(requests) }

    func send(_ buffer: UnsafeRawPointer?, bytes: Int, to peer: Int, tag: Int32) {
        guard bytes > 0 else { return }
        check(sgmpi_isend(requests, buffer, bytes, SGMPI_BYTE, Int32(peer), tag), "MPI_Isend to rank \(peer)")
    }

    func receive(_ buffer: UnsafeMutableRawPointer?, bytes: Int, from peer: Int, tag: Int32) {
        guard bytes > 0 else { return }
        check(sgmpi_irecv(requests, buffer, bytes, SGMPI_BYTE, Int32(peer), tag), "MPI_Irecv from rank \(peer)")
    }

    func send(_ buffer: UnsafePointer<Float>, count: Int, to peer: Int, tag: Int32) {
        guard count > 0 else { return }
        check(sgmpi_isend(requests, buffer, count, SGMPI_FLOAT, Int32(peer), tag), "MPI_Isend to rank \(peer)")
    }

    func receive(_ buffer: UnsafeMutablePointer<Float>, count: Int, from peer: Int, tag: Int32) {
        guard count > 0 else { return }
        check(sgmpi_irecv(requests, buffer, count, SGMPI_FLOAT, Int32(peer), tag), "MPI_Irecv from rank \(peer)")
    }

    func allReduceSum(_ buffer: UnsafeMutablePointer<Float>, count: Int) {
        guard count > 0 else { return }
        check(sgmpi_iallreduce_sum(requests, buffer, count), "MPI_Iallreduce")
    }

    /// Waits for everything posted, or ends the job when the deadline passes first.
    ///
    /// - Parameters:
    ///   - what: what the exchange carries, for the message.
    ///   - step: the step it belongs to (counted from 1), if any.
    ///   - timeout: the deadline; the communicator's when `nil`.
    ///   - idle: sleep between polls rather than spin (this rank has nothing else to do).
    func wait(what: String, step: Int?, timeout: Duration? = nil, idle: Bool = false) {
        let timeout = timeout ?? communicator.timeout
        let seconds = Double(timeout.components.seconds) + Double(timeout.components.attoseconds) * 1e-18
        var late = [Int32](repeating: 0, count: 64)
        var lateCount: Int32 = 0
        let code = sgmpi_wait(requests, seconds, idle ? 1 : 0, &late, Int32(late.count), &lateCount)
        if code == 0 { return }
        if code == -1 {
            let ranks = late.prefix(Int(lateCount)).map(Int.init)
            let during = step.map { " at step \($0)" } ?? ""
            // A rank that waits for a silent one stops answering too, so several may be named.
            let note = ranks.count > 1 ? ", one of them perhaps only waiting for another" : ""
            communicator.abort(
                "\(MPICommunicator.describe(ranks: ranks)) did not answer within \(timeout.formattedSeconds)\(during) (\(what)\(note)); ending every rank of the job (set the deadline with --mpi-timeout)")
        }
        check(code, "waiting for \(what)")
    }

    private func check(_ code: Int32, _ what: String) {
        if code != 0 { communicator.abort("\(what) failed with MPI error code \(code)") }
    }
}

/// An MPI run that cannot start: MPI failed to initialise, or the ranks do not agree.
public struct MPIError: Error, CustomStringConvertible, Equatable {
    /// What went wrong, naming the ranks involved.
    public let description: String
    /// An error saying `description`.
    public init(_ description: String) { self.description = description }
}

extension Duration {
    /// `300 s`, `2.5 s`.
    var formattedSeconds: String {
        let seconds = Double(components.seconds) + Double(components.attoseconds) * 1e-18
        return seconds == seconds.rounded() ? "\(Int(seconds)) s" : "\(seconds) s"
    }
}

/// Whether `MPI_Init` has returned, for the thread that keeps its deadline.
private final class StartFlag: Sendable {
    let started = Atomic<Bool>(false)
}
