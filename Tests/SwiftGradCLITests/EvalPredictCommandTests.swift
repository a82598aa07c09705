import Foundation
import Testing
import _TestSupport

#if canImport(FoundationXML)
import FoundationXML
#endif

/// `swiftgrad eval` and `swiftgrad predict` on a model trained by `swiftgrad run`: what they
/// print and write, and one `error: …` line for every input that does not fit.
@Suite struct EvalPredictCommandTests {
    /// A directory with a three-class CSV (`a, b, c, label`) and a config trained on it, its
    /// model saved to `runs/train/model.safetensors`.
    private func trainedRun() throws -> TemporaryDirectory {
        let directory = try TemporaryDirectory()
        var rows = ["a,b,c,label"]
        for index in 0..<60 {
            let label = index % 3
            let wobble = Double((index * 37) % 11) / 10 - 0.5
            rows.append("\(Double(label) * 2 + wobble),\(Double(index % 7) / 3 - Double(label)),\(100 + wobble * 20),\(label)")
        }
        try directory.write("data.csv", rows.joined(separator: "\n") + "\n")
        try directory.write("train.json", """
            {"task": "train", "data": {"source": "csv", "path": "data.csv"},
             "model": {"type": "mlp", "hidden_layers": [6]},
             "optimizer": {"name": "adam", "learning_rate": 0.05},
             "training": {"epochs": 5, "batch_size": 12, "seed": 1}}
            """)
        let run = try swiftgrad(["run", "train.json", "--quiet"], in: directory.path)
        #expect(run.status == 0, "\(run.standardError)")
        #expect(directory.exists("runs/train/model.safetensors"))
        return directory
    }

    @Test func evalPrintsTheConfusionMatrixAndWritesTheReportAndTheHeatMap() throws {
        let directory = try trainedRun()
        defer { directory.remove() }
        let run = try swiftgrad(
            ["eval", "train.json", "--checkpoint", "runs/train/model.safetensors", "--report", "eval.json", "--plot", "confusion.svg"],
            in: directory.path)
        #expect(run.status == 0, "\(run.standardError)")
        #expect(run.standardError.isEmpty)
        let lines = run.standardOutput.split(separator: "\n").map(String.init)
        #expect(lines.first?.hasPrefix("eval: runs/train/model.safetensors (5 epochs, ") == true, "\(lines)")
        #expect(lines.contains { $0.hasPrefix("train: loss ") && $0.contains(", accuracy ") })
        #expect(lines.contains { $0.hasPrefix("test: loss ") && $0.contains(", accuracy ") })
        #expect(lines.contains("confusion matrix of the test split (rows: true label, columns: predicted label):"))
        #expect(lines.contains { $0.hasPrefix("true \\ predicted  0  1  2") }, "\(lines)")
        #expect(lines.suffix(2) == ["wrote eval.json", "wrote confusion.svg"])

        let report = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: directory.path + "/eval.json"))) as? [String: Any])
        let test = try #require(report["test"] as? [String: Any])
        let confusion = try #require(test["confusion_matrix"] as? [[Int]])
        #expect(confusion.joined().reduce(0, +) == 12)
        let accuracy = try #require(test["accuracy"] as? Double)
        #expect(Float(accuracy) == Float((0..<3).map { confusion[$0][$0] }.reduce(0, +)) / 12)

        let svg = try XMLDocument(xmlString: directory.read("confusion.svg"), options: [])
        #expect(try svg.nodes(forXPath: "//*[local-name()='rect'][@class='cell']").count == 9)
        let texts = try svg.nodes(forXPath: "//*[local-name()='text']").compactMap(\.stringValue)
        #expect(texts.contains("true") && texts.contains("predicted"))
    }

    /// A model of more classes than a confusion matrix is made for (its counts grow as the
    /// square of the classes) is evaluated without one: `eval` says so, the report has none, and
    /// `--plot` is one error line before anything is printed.
    @Test func aModelOfManyClassesIsEvaluatedWithoutAConfusionMatrix() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try directory.write("train.json", """
            {"task": "train",
             "data": {"source": "synthetic", "examples": 300, "features": 2, "classes": 101, "labels": "uniform", "test_fraction": 0.5},
             "model": {"type": "softmax"}, "training": {"epochs": 1, "batch_size": 50, "seed": 1}}
            """)
        let trained = try swiftgrad(["run", "train.json", "--quiet"], in: directory.path)
        #expect(trained.status == 0, "\(trained.standardError)")
        let run = try swiftgrad(["eval", "train.json", "--checkpoint", "runs/train/model.safetensors", "--report", "eval.json"], in: directory.path)
        #expect(run.status == 0, "\(run.standardError)")
        #expect(run.standardOutput.contains("no confusion matrix: the model has 101 classes, more than the 100 one is made for\n"), "\(run.standardOutput)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: directory.path + "/eval.json"))) as? [String: Any])
        let test = try #require(report["test"] as? [String: Any])
        #expect(test["confusion_matrix"] == nil && test["accuracy"] != nil)

        let plotted = try swiftgrad(["eval", "train.json", "--checkpoint", "runs/train/model.safetensors", "--plot", "c.svg"], in: directory.path)
        expectOneLineError(plotted)
        #expect(plotted.standardError == "error: cannot draw --plot: the model has 101 classes, more than the 100 a confusion matrix is made for\n")
        #expect(plotted.standardOutput.isEmpty && !directory.exists("c.svg"))
    }

    @Test func predictWritesLabelsAndProbabilitiesFromTheCheckpointAlone() throws {
        let directory = try trainedRun()
        defer { directory.remove() }
        // No config: the checkpoint alone.
        try FileManager.default.removeItem(atPath: directory.path + "/train.json")
        let run = try swiftgrad(["predict", "--checkpoint", "runs/train/model.safetensors", "--input", "data.csv"], in: directory.path)
        #expect(run.status == 0, "\(run.standardError)")
        #expect(run.standardError == "note: ignoring column 'label' of data.csv: it is the label the model was trained to predict\n")
        let rows = run.standardOutput.split(separator: "\n").map { $0.split(separator: ",").map(String.init) }
        #expect(rows.first == ["label", "probability_0", "probability_1", "probability_2"])
        #expect(rows.count == 61)
        for row in rows.dropFirst() {
            let probabilities = row.dropFirst().map { Double($0)! }
            #expect(abs(probabilities.reduce(0, +) - 1) < 1e-6)
            #expect(row[0] == String(probabilities.indices.max { probabilities[$0] < probabilities[$1] }!))
        }

        let written = try swiftgrad(
            ["predict", "--checkpoint", "runs/train/model.safetensors", "--input", "data.csv", "--output", "predictions.csv"],
            in: directory.path)
        #expect(written.status == 0, "\(written.standardError)")
        #expect(written.standardOutput.isEmpty)
        #expect(try directory.read("predictions.csv") == run.standardOutput)
    }

    /// Finite features the model's Float32 arithmetic overflows on give no NaN probabilities
    /// and no label picked from them: one error line names the row, and nothing is written.
    @Test func predictRefusesARowWhoseOutputIsNotFinite() throws {
        let directory = try trainedRun()
        defer { directory.remove() }
        try directory.write("big.csv", "a,b,c\n1,1,100\n3e38,-3e38,100\n")
        let run = try swiftgrad(["predict", "--checkpoint", "runs/train/model.safetensors", "--input", "big.csv", "--output", "out.csv"], in: directory.path)
        expectOneLineError(run)
        #expect(run.standardError.hasPrefix("error: big.csv: data row 2 gives the model's output NaN, not a finite number: "), "\(run.standardError)")
        #expect(!directory.exists("out.csv"))
    }

    /// eval likewise: a loss and accuracy computed from infinities would read as a result.
    @Test func evalRefusesAnExampleWhoseOutputIsNotFinite() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        // Fixed rows in [-1, 1): the trained weights, and so the overflow, are the same every time.
        let rows = (0..<40).map { "\(Double(($0 * 37) % 40) / 20 - 1),\(Double(($0 * 13) % 40) / 20 - 1),\($0 % 2)" }
        try directory.write("d.csv", (["a,b,label"] + rows + ["3e38,-3e38,1"]).joined(separator: "\n") + "\n")
        // Standardised by the training rows' deviation (about 0.6), the last row's features
        // would be infinite: refused where the data is read.
        let standardizing = #"{"task": "train", "data": {"source": "csv", "path": "d.csv", "split": "file_order", "test_fraction": 0.02}, "model": {"type": "mlp", "hidden_layers": [4]}, "training": {"epochs": 2, "batch_size": 8}}"#
        let refused = try swiftgrad(["run", try directory.write("s.json", standardizing), "--quiet"], in: directory.path)
        expectOneLineError(refused)
        #expect(refused.standardError.contains("key path 'data.standardize': standardised by the training rows' mean "), "\(refused.standardError)")
        #expect(refused.standardError.contains("feature 'a' of the test split's example 1 is inf, beyond a 32-bit float"), "\(refused.standardError)")
        let config = try directory.write("t.json", standardizing.replacingOccurrences(of: #""test_fraction": 0.02}"#, with: #""test_fraction": 0.02, "standardize": "none"}"#))
        // The training rows' loss is finite: the run did not diverge, and says where the
        // infinity comes from.
        let trained = try swiftgrad(["run", config], in: directory.path)
        #expect(trained.status == 0, "\(trained.standardError)")
        #expect(trained.standardError.contains("warning: the test loss is "), "\(trained.standardError)")
        let run = try swiftgrad(["eval", config, "--checkpoint", "runs/t/model.safetensors", "--report", "e.json"], in: directory.path)
        expectOneLineError(run)
        #expect(run.standardError.contains("the model's output for example 1 of the test split is "), "\(run.standardError)")
        #expect(run.standardError.contains(", not a finite number: the model's Float32 arithmetic overflows on it"), "\(run.standardError)")
        #expect(!directory.exists("e.json"))

        // predict likewise refuses a row its standardisation makes infinite, naming row and feature.
        try directory.write("s-train.csv", (["a,b,label"] + rows).joined(separator: "\n") + "\n")
        let small = try directory.write("small.json", standardizing.replacingOccurrences(of: "d.csv", with: "s-train.csv"))
        #expect(try swiftgrad(["run", small, "--quiet"], in: directory.path).status == 0)
        try directory.write("far.csv", "a,b\n0.5,0.5\n3e38,0.5\n")
        let far = try swiftgrad(["predict", "--checkpoint", "runs/small/model.safetensors", "--input", "far.csv"], in: directory.path)
        expectOneLineError(far)
        #expect(far.standardError.hasPrefix("error: far.csv: data row 2: feature 'a' is inf once standardised with the training data's mean "), "\(far.standardError)")
    }

    @Test func predictRefusesToOverwriteItsInput() throws {
        let directory = try trainedRun()
        defer { directory.remove() }
        let before = try directory.read("data.csv")
        let run = try swiftgrad(
            ["predict", "--checkpoint", "runs/train/model.safetensors", "--input", "data.csv", "--output", "./data.csv"], in: directory.path)
        expectOneLineError(run)
        #expect(run.standardError == "error: cannot write './data.csv' (--output): it is the input of this run ('data.csv'); choose another path\n")
        #expect(try directory.read("data.csv") == before)
    }

    @Test func inputThatDoesNotFitTheModelIsOneErrorLine() throws {
        let directory = try trainedRun()
        defer { directory.remove() }
        try directory.write("two.csv", "1,2\n3,4\n")
        let run = try swiftgrad(["predict", "--checkpoint", "runs/train/model.safetensors", "--input", "two.csv", "--no-header"], in: directory.path)
        expectOneLineError(run)
        #expect(run.standardError == "error: two.csv:1: the rows have 2 columns but the model takes 3 features (a, b, c), in this order\n")
        #expect(run.standardOutput.isEmpty)
    }

    @Test func aCheckpointThatDoesNotDescribeItsModelIsOneErrorLine() throws {
        let directory = try trainedRun()
        defer { directory.remove() }
        // Rename the metadata key `model` in the header (the checksum covers only the tensors).
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: directory.path + "/runs/train/model.safetensors")))
        let key = Array(#""model":"#.utf8)
        let at = try #require((0...(bytes.count - key.count)).first { Array(bytes[$0..<$0 + key.count]) == key })
        bytes.replaceSubrange(at..<at + key.count, with: Array(#""mxdel":"#.utf8))
        try directory.write("old.safetensors", bytes: bytes)
        let run = try swiftgrad(["predict", "--checkpoint", "old.safetensors", "--input", "data.csv"], in: directory.path)
        expectOneLineError(run)
        #expect(run.standardError.hasPrefix("error: old.safetensors: metadata key 'model' is missing"), "\(run.standardError)")
        // eval reads the model from the config instead, so it still works.
        let evaluated = try swiftgrad(["eval", "train.json", "--checkpoint", "old.safetensors"], in: directory.path)
        #expect(evaluated.status == 0, "\(evaluated.standardError)")
    }

    @Test func evalOfACheckpointFromAnotherConfigIsOneErrorLine() throws {
        let directory = try trainedRun()
        defer { directory.remove() }
        try directory.write("wider.json", try directory.read("train.json").replacingOccurrences(of: "[6]", with: "[7]"))
        let run = try swiftgrad(["eval", "wider.json", "--checkpoint", "runs/train/model.safetensors"], in: directory.path)
        expectOneLineError(run)
        #expect(run.standardError.hasPrefix("error: runs/train/model.safetensors: it was written by a config that trains differently (config hash "), "\(run.standardError)")
        #expect(run.standardError.hasSuffix("): model.hidden_layers is [6] in the checkpoint's config and [7] in this one; evaluate it with the config that trained it\n"), "\(run.standardError)")
        let missing = try swiftgrad(["eval", "train.json"], in: directory.path)
        #expect(missing.status == 64, "\(missing.standardError)")
        #expect(missing.standardError.contains("--checkpoint"))
    }
}
