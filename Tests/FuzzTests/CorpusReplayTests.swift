import Foundation
import FuzzHarness
import Testing

/// Every file of the fuzz corpus (`fuzz/corpus/<target>/`: the seeds, and every input that once
/// crashed a parser, kept as a regression test) runs through its target without trapping. The
/// long randomised runs are `scripts/fuzz`'s; this replays what they found on every test run.
@Suite struct CorpusReplayTests {
    static let corpus: String = {
        var components = "\(#filePath)".split(separator: "/", omittingEmptySubsequences: false)
        components.removeLast(3)
        return components.joined(separator: "/") + "/fuzz/corpus"
    }()

    @Test(arguments: FuzzTarget.allCases)
    func everyCorpusFileRunsThroughItsTarget(target: FuzzTarget) throws {
        let folder = Self.corpus + "/" + target.rawValue
        let names = try FileManager.default.contentsOfDirectory(atPath: folder).sorted()
        #expect(!names.isEmpty, "no seeds in \(folder)")
        let scratch = NSTemporaryDirectory() + "swiftgrad-corpus-\(target.rawValue)-\(getpid())"
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        for name in names {
            let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: folder + "/" + name)))
            bytes.withUnsafeBytes { target.run($0, scratch: scratch) }
        }
    }
}
