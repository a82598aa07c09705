#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The tapes that are recording on the current thread, innermost last.
///
/// Each thread has its own stack, reached through a POSIX thread-specific key, so a tape never
/// sees an operation run on another thread: the data-parallel trainer gives every worker thread
/// its own tape and relies on this. Nothing here is shared between threads.
final class TapeStack {
    var tapes: [GradientTape] = []

    /// The stack of the current thread, or `nil` when no tape has ever recorded on it.
    static var current: TapeStack? {
        guard let pointer = pthread_getspecific(tapeStackKey) else { return nil }
        return Unmanaged<TapeStack>.fromOpaque(pointer).takeUnretainedValue()
    }

    /// The stack of the current thread, made on first use and released when the thread exits.
    static var currentOrNew: TapeStack {
        if let stack = current { return stack }
        let stack = TapeStack()
        pthread_setspecific(tapeStackKey, Unmanaged.passRetained(stack).toOpaque())
        return stack
    }

    /// The stack of the current thread if any tape on it is recording right now.
    static var active: TapeStack? {
        guard let stack = current, !stack.tapes.isEmpty else { return nil }
        return stack
    }

    func push(_ tape: GradientTape) { tapes.append(tape) }

    func pop(_ tape: GradientTape) {
        let last = tapes.removeLast()
        assert(last === tape, "GradientTape.record blocks must nest")
    }
}

/// The key of each thread's ``TapeStack``. Created once; the destructor releases a thread's stack
/// when the thread exits.
let tapeStackKey: pthread_key_t = {
    var key = pthread_key_t()
    let status = pthread_key_create(&key) { pointer in
        if let pointer { Unmanaged<TapeStack>.fromOpaque(pointer).release() }
    }
    guard status == 0 else { fatalError("GradientTape: pthread_key_create failed with status \(status)") }
    return key
}()
