import ConfigKit
import Datasets
import Expressions
import Foundation
import Tasks
import Training

/// The parsers a user's bytes reach, each as a fuzz target: given any bytes, a target may throw
/// an error (that is the parser doing its job) but must never trap, hang or touch memory it does
/// not own.
///
/// `scripts/fuzz` runs each one under libFuzzer with AddressSanitizer; `FuzzTests` replays every
/// file of the corpus (`fuzz/corpus/<target>/`, the seeds and every input that once crashed)
/// through the same functions in the ordinary test run.
public enum FuzzTarget: String, CaseIterable, Sendable {
    /// A config file, parsed and read into its task (data files it names are loaded; none is run).
    case config
    /// A `grad` expression, parsed, then evaluated with its derivatives at x = 0.5, y = -2.
    case expression
    /// A CSV file, read with a header and a class label column, and without a header as regression.
    case csv
    /// A pair of IDX files: the first two bytes (big-endian) give the images file's length, the
    /// images follow, then the labels.
    case idx
    /// A checkpoint file.
    case checkpoint

    /// Runs the target on `bytes`; `scratch` is a folder for targets that must read a file.
    public func run(_ bytes: UnsafeRawBufferPointer, scratch: String) {
        switch self {
        case .config:
            guard let document = try? ConfigDocument(utf8: bytes, file: scratch + "/fuzz.json") else { return }
            _ = try? TaskLoader.load(document: document)
        case .expression:
            let text = String(decoding: bytes, as: UTF8.self)
            guard let expression = try? Expression.parse(text) else { return }
            var values: [String: Float] = [:]
            for (index, name) in expression.variables.enumerated() { values[name] = index % 2 == 0 ? 0.5 : -2 }
            _ = try? expression.evaluate(at: values, order: 2)
        case .csv:
            let text = String(decoding: bytes, as: UTF8.self)
            _ = try? Dataset.parseCSV(text, source: "fuzz.csv", hasHeader: true, labels: .classes)
            _ = try? Dataset.parseCSV(text, source: "fuzz.csv", hasHeader: false, labels: .regression)
        case .idx:
            guard bytes.count >= 2 else { return }
            let cut = Swift.min(2 + (Int(bytes[0]) << 8 | Int(bytes[1])), bytes.count)
            let images = scratch + "/images.idx", labels = scratch + "/labels.idx"
            guard FileManager.default.createFile(atPath: images, contents: Data(bytes[2..<cut])),
                  FileManager.default.createFile(atPath: labels, contents: Data(bytes[cut...]))
            else { return }
            _ = try? Dataset.loadIDX(imagesPath: images, labelsPath: labels)
        case .checkpoint:
            guard let file = try? SafeTensors(decoding: Array(bytes), file: "fuzz.safetensors") else { return }
            _ = try? Checkpoint(file, source: "fuzz.safetensors")
        }
    }
}
