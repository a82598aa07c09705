import Foundation
import FuzzHarness

// Built with `-sanitize=fuzzer` and `-D FUZZING` (scripts/fuzz), this is a libFuzzer target whose
// parser is named by SWIFTGRAD_FUZZ_TARGET. Built normally, it replays files through a target:
// `swiftgrad-fuzz TARGET FILE...`, the way to reproduce a crash libFuzzer found.

/// A scratch folder for targets that read files, one per process. A replay removes it when done;
/// under libFuzzer, `scripts/fuzz` points TMPDIR into its own work folder, which it removes.
let scratch: String = {
    let path = NSTemporaryDirectory() + "swiftgrad-fuzz-\(getpid())"
    try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}()

#if FUZZING
let target: FuzzTarget = {
    let name = ProcessInfo.processInfo.environment["SWIFTGRAD_FUZZ_TARGET"] ?? ""
    guard let target = FuzzTarget(rawValue: name) else {
        FileHandle.standardError.write(Data("set SWIFTGRAD_FUZZ_TARGET to one of \(FuzzTarget.allCases.map(\.rawValue))\n".utf8))
        exit(2)
    }
    return target
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    target.run(UnsafeRawBufferPointer(start: data, count: count), scratch: scratch)
    return 0
}

/// libFuzzer's driver, for a program whose `main` is its own.
@_silgen_name("LLVMFuzzerRunDriver")
func runFuzzerDriver(
    _ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ test: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt

// SwiftPM names an executable's entry point after its module; this one hands over to libFuzzer.
@_cdecl("swiftgrad_fuzz_main")
func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    var count = argc
    var arguments = argv
    return runFuzzerDriver(&count, &arguments) { data, size in fuzz(data, size) }
}
#else
@main
struct Replay {
    static func main() throws {
        let arguments = CommandLine.arguments.dropFirst()
        guard let name = arguments.first, let target = FuzzTarget(rawValue: name) else {
            print("usage: swiftgrad-fuzz \(FuzzTarget.allCases.map(\.rawValue).joined(separator: "|")) FILE...")
            exit(2)
        }
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        for path in arguments.dropFirst() {
            let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
            bytes.withUnsafeBytes { target.run($0, scratch: scratch) }
            print("ok \(path)")
        }
    }
}
#endif
