import Foundation
import Testing
import _TestSupport

/// A new user's own CSV files through `swiftgrad run`, `validate`, `eval` and `predict`: classes
/// named by their labels end to end, the warnings a config that may not mean what it says gets
/// on standard error, and a run whose length `training.steps` sets.
@Suite struct DataKeysCommandTests {
    /// Sixty rows of three classes labelled `low`, `mid`, `high`, and a config trained on them
    /// for `training.steps` steps of full batches.
    private func labelledRun() throws -> (directory: TemporaryDirectory, run: Run) {
        let directory = try TemporaryDirectory()
        let names = ["low", "mid", "high"]
        var rows = ["a,b,grade"]
        for index in 0..<60 {
            let label = index % 3
            let wobble = Double((index * 37) % 11) / 10 - 0.5
            rows.append("\(Double(label) * 2 + wobble),\(Double(index % 7) / 3 - Double(label)),\(names[label])")
        }
        try directory.write("grades.csv", rows.joined(separator: "\n") + "\n")
        try directory.write("train.json", """
            {"task": "train", "data": {"source": "csv", "path": "grades.csv"},
             "model": {"type": "mlp", "hidden_layers": [6]},
             "optimizer": {"name": "adam", "learning_rate": 0.05},
             "training": {"steps": 40, "batch_size": "full", "evaluate_every": 10, "seed": 1}}
            """)
        let run = try swiftgrad(["run", "train.json", "--no-metrics"], in: directory.path)
        #expect(run.status == 0, "\(run.standardError)")
        return (directory, run)
    }

    @Test func textLabelsAreTheClassesOfTheRunTheModelEvalAndPredict() throws {
        let (directory, run) = try labelledRun()
        defer { directory.remove() }
        let lines = run.standardOutput.split(separator: "\n").map(String.init)
        #expect(lines.contains("classes: 3 (high, low, mid)"), "\(lines)")
        #expect(lines.contains("training: 40 steps (= 40 epochs of 1 batch)"), "\(lines)")
        #expect(lines.contains { $0.hasPrefix("trained 40 steps in ") }, "\(lines)")

        let eval = try swiftgrad(["eval", "train.json", "--checkpoint", "runs/train/model.safetensors"], in: directory.path)
        #expect(eval.status == 0, "\(eval.standardError)")
        let evalLines = eval.standardOutput.split(separator: "\n").map(String.init)
        #expect(evalLines.contains { $0.hasPrefix("true \\ predicted  high   low   mid") }, "\(evalLines)")
        #expect(evalLines.contains { $0.hasPrefix("            high  ") }, "\(evalLines)")

        try directory.write("new.csv", "a,b\n4.1,-2\n-0.2,0.3\n")
        let predict = try swiftgrad(["predict", "--checkpoint", "runs/train/model.safetensors", "--input", "new.csv"], in: directory.path)
        #expect(predict.status == 0, "\(predict.standardError)")
        let rows = predict.standardOutput.split(separator: "\n").map { $0.split(separator: ",").map(String.init) }
        #expect(rows.first == ["label", "probability_high", "probability_low", "probability_mid"])
        #expect(rows.dropFirst().map { $0[0] } == ["high", "low"])
    }

    @Test func warningsGoToStandardErrorFromRunAndValidateAndQuietKeepsThem() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        // No header (so the first row names the columns), and an integer target of many values
        // taken as classes.
        let rows = (0..<200).map { "\(Double($0) / 10),\(100 + $0 % 40)" }
        try directory.write("prices.csv", rows.joined(separator: "\n") + "\n")
        try directory.write("train.json", """
            {"task": "train", "data": {"source": "csv", "path": "prices.csv"},
             "model": {"type": "logistic"}, "training": {"batch_size": 500}}
            """)
        let expected = [
            #"warning: the first row of 'prices.csv' looks like data (its feature fields are numbers) but is read as the header; set "header": false in data if the file has none"#,
            #"warning: column '100' of 'prices.csv' has 40 distinct integer values in 199 rows, so it is read as 40 classes; if it is a quantity to predict, set "kind": "regression" in data ("kind": "classes" keeps the classes and this warning away)"#,
        ]
        let note = #"note: training.batch_size 500 is larger than the training split (159 examples), so each batch is the whole split ("batch_size": "full" says so)"#
        let validate = try swiftgrad(["validate", "--quiet", "train.json"], in: directory.path)
        #expect(validate.status == 0, "\(validate.standardError)")
        #expect(validate.standardOutput == "train.json: ok\n")
        #expect(validate.standardError == (expected + [note]).map { "train.json: \($0)\n" }.joined())

        let run = try swiftgrad(["run", "train.json", "--no-metrics"], in: directory.path)
        #expect(run.status == 0, "\(run.standardError)")
        #expect(run.standardError == (expected + [note]).map { $0 + "\n" }.joined())
        // --quiet: the result line alone on standard output; the warnings stay, the note goes.
        let quiet = try swiftgrad(["run", "train.json", "--no-metrics", "--quiet"], in: directory.path)
        #expect(quiet.status == 0, "\(quiet.standardError)")
        #expect(quiet.standardOutput.split(separator: "\n").count == 1)
        #expect(quiet.standardOutput.hasPrefix("trained 1 step in "), "\(quiet.standardOutput)")
        #expect(quiet.standardError == expected.map { $0 + "\n" }.joined())
    }

    @Test func theLectureConfigsOldSpellingsNameTheirReplacements() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try directory.write("old.json", """
            {"task": "logistic-regression",
             "data": {"path": "\(repositoryRoot)/datasets/digits.csv", "format": "digits", "classes": [0, 1], "train_fraction": 0.9},
             "optimizer": {"name": "adam"}, "steps": 5}
            """)
        let run = try swiftgrad(["validate", "old.json"], in: directory.path)
        #expect(run.status == 1)
        #expect(run.standardError.contains("key path 'data.train_fraction': unknown key (did you mean 'test_fraction'? it replaced 'train_fraction': test_fraction = 1 − train_fraction)"), "\(run.standardError)")
    }
}
