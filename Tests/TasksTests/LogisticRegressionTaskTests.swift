import _TestSupport
import Foundation
import Testing
import SwiftGrad
import Tasks

/// `Configs/seed-logistic-regression.json`: digits 0 and 1, standardised on all rows, split
/// 90/10 in file order, 70 Adam steps.
@Suite struct LogisticRegressionTaskTests {
    @Test func itSeparatesZerosFromOnesAsTheLectureDoes() throws {
        // TensorFlow's figures, for the record: loss 0.272, train accuracy 0.9938 (322 of 324),
        // test accuracy 0.9722 (35 of 36). The initial weights come from a different random
        // generator, so only bounds are compared.
        let reference = try SeedFigures.load().logreg_loss_train_acc_test_acc_s_per_iter
        try #require(reference.count == 4)
        #expect(reference[1] >= 0.99 && reference[2] >= 0.97)

        let (report, _) = try runShippedConfig("seed-logistic-regression.json")
        let written = try writtenReport(report)
        expectReportKeys(written, extra: ["train_loss", "test_loss", "train_accuracy", "test_accuracy", "train_examples", "test_examples"])
        #expect(written.object["task"] as? String == "logistic-regression")
        #expect(written.object["steps"] as? Int == 70)
        #expect(written.object["train_examples"] as? Int == 324)
        #expect(written.object["test_examples"] as? Int == 36)
        let train = try #require(written.object["train_accuracy"] as? Double)
        let test = try #require(written.object["test_accuracy"] as? Double)
        #expect(train >= 0.99)
        #expect(test >= 0.97)
        let loss = try #require(report.finalLoss)
        #expect(loss > 0 && loss < 0.5)
        #expect(try parameter("w", in: report).count == 64)
        #expect(try parameter("b", in: report).count == 1)
    }

    /// Loads a logistic-regression config of `data` over `files`, in a fresh directory.
    private func load(data: String, files: [String: String]) throws -> any RunnableTask {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        for (name, text) in files { try directory.write(name, text) }
        let path = try directory.write("l.json", #"{"task": "logistic-regression", "data": \#(data), "optimizer": {"name": "adam"}, "steps": 3}"#)
        return try TaskLoader.load(path: path)
    }

    @Test func itTakesTheTrainConfigsDataKeys() throws {
        // Text labels picked by `classes`, a file without a header and its label by index.
        let rows = (0..<20).map { "\(Double($0) / 4),\(["cat", "dog", "owl"][$0 % 3])" }.joined(separator: "\n") + "\n"
        let task = try load(
            data: #"{"source": "csv", "path": "d.csv", "header": false, "label": 1, "classes": ["owl", "cat"], "test_fraction": 0.25}"#,
            files: ["d.csv": rows])
        let facts = task.resolvedDescription
        // 13 rows are owls or cats; ⌈0.25 × 13⌉ = 4 are held out.
        #expect(facts["train_rows"]?.intValue == 9 && facts["test_rows"]?.intValue == 4)
        #expect(task.warnings.isEmpty)
        let report = try task.run(options: RunOptions(verbosity: .quiet)) { _ in }
        #expect(report.exitStatus == 0)
        // The old spellings name their replacements.
        let old = try #require(throws: (any Error).self) {
            try load(data: #"{"path": "d.csv", "format": "csv"}"#, files: ["d.csv": "x,y\n1,0\n2,1\n"])
        }
        #expect("\(old)".contains("key path 'data.format': unknown key (did you mean 'source'? it replaced 'format'"), "\(old)")
        let flag = try #require(throws: (any Error).self) {
            try load(data: #"{"path": "d.csv", "standardize": "all"}"#, files: ["d.csv": "x,y\n1,0\n2,1\n"])
        }
        #expect("\(flag)".contains(#"key path 'data.standardize': expected one of "train_rows", "all_rows", "none", found "all""#), "\(flag)")
    }

    @Test func integerClassesArePickedByValueHoweverTheyAreWritten() throws {
        // Labels 1, 2, 3 written with a leading zero: the file's classes are 1, 2 and 3.
        let rows = "x,y\n" + (0..<30).map { "\($0),0\($0 % 3 + 1)" }.joined(separator: "\n") + "\n"
        for spelling in [#"["01", "3"]"#, #"[1, "3.0"]"#, #"["+1", 3]"#] {
            let task = try load(data: #"{"source": "csv", "path": "d.csv", "classes": \#(spelling), "test_fraction": 0}"#, files: ["d.csv": rows])
            #expect(task.resolvedDescription["train_rows"]?.intValue == 20, "\(spelling)")
        }
        // Two spellings of one class are one class, and a value the file lacks is named.
        let same = try #require(throws: (any Error).self) {
            try load(data: #"{"source": "csv", "path": "d.csv", "classes": ["01", 1]}"#, files: ["d.csv": rows])
        }
        #expect("\(same)".hasSuffix("key path 'data.classes': expected two different classes, found 01, 1 (both are the class 1)"), "\(same)")
        let absent = try #require(throws: (any Error).self) {
            try load(data: #"{"source": "csv", "path": "d.csv", "classes": ["1.5", 1]}"#, files: ["d.csv": rows])
        }
        #expect("\(absent)".contains("key path 'data.classes': class 1.5 does not occur in '"), "\(absent)")
        #expect("\(absent)".hasSuffix("d.csv', which has the classes 1, 2, 3"), "\(absent)")
        // Text labels match as written only.
        let text = "x,y\n" + (0..<30).map { "\($0),\(["01", "b", "c"][$0 % 3])" }.joined(separator: "\n") + "\n"
        #expect(throws: (any Error).self) {
            try load(data: #"{"source": "csv", "path": "d.csv", "classes": [1, "b"]}"#, files: ["d.csv": text])
        }
        let picked = try load(data: #"{"source": "csv", "path": "d.csv", "classes": ["01", "b"], "test_fraction": 0}"#, files: ["d.csv": text])
        #expect(picked.resolvedDescription["train_rows"]?.intValue == 20)
    }

    /// A file in the digits format: each row 64 pixels (the label's value) then the label.
    private func digits(_ labels: [Int]) -> String {
        labels.map { label in Array(repeating: "\(label)", count: 65).joined(separator: ",") }.joined(separator: "\n") + "\n"
    }

    /// The digits format names the classes 0…9 whatever the file holds: as with a csv file, a
    /// class picked must have rows, one class is not enough, and two need no `classes`.
    @Test func digitsClassesAreThoseTheFileHolds() throws {
        let zeros = digits(Array(repeating: 0, count: 20))
        for (classes, absent) in [("[0, 5]", 5), ("[3, 4]", 3)] {
            let error = try #require(throws: (any Error).self) {
                try load(data: #"{"source": "digits", "path": "d.csv", "classes": \#(classes)}"#, files: ["d.csv": zeros])
            }
            #expect("\(error)".contains("key path 'data.classes': class \(absent) does not occur in '"), "\(error)")
            #expect("\(error)".hasSuffix("d.csv', which has the classes 0"), "\(error)")
        }
        let one = try #require(throws: (any Error).self) {
            try load(data: #"{"source": "digits", "path": "d.csv"}"#, files: ["d.csv": zeros])
        }
        #expect("\(one)".contains("key path 'data.path': '") && "\(one)".hasSuffix("d.csv' has only one class (0); expected two to separate"), "\(one)")
        // Digits 3 and 7 are classes 0 and 1, sorted as a csv file's two labels are.
        let two = try load(data: #"{"source": "digits", "path": "d.csv", "test_fraction": 0}"#, files: ["d.csv": digits((0..<20).map { $0 % 2 == 0 ? 7 : 3 })])
        #expect(two.resolvedDescription["train_rows"]?.intValue == 20)
        let report = try two.run(options: RunOptions(verbosity: .quiet)) { _ in }
        #expect(report.exitStatus == 0)
        let split = try #require((two as? LogisticRegressionTask)?.split)
        #expect(split.train.targets.scalars == (0..<20).map { $0 % 2 == 0 ? Float(1) : 0 })
    }
}
