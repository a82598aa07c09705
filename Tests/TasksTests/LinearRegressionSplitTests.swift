import _TestSupport
import Testing
import SwiftGrad
import Tasks

/// A linear-regression config's `data.test_fraction`, `split`, `seed` and `standardize`: the
/// keys of every task's `data`, with defaults that fit every row of raw x.
@Suite struct LinearRegressionSplitTests {
    /// 20 rows of y ≈ 2x + 1, x = 0…19 in file order, y off the line by ±0.5 so no fit is exact.
    static let rows = "x,y\n" + (0..<20).map { "\($0),\(2 * $0 + 1)\($0 % 2 == 0 ? ".5" : "")" }.joined(separator: "\n") + "\n"

    /// A linear-regression config of `data` (a JSON object) over `files`, in a fresh directory.
    private func load(data: String, steps: Int = 50, files: [String: String] = ["d.csv": rows]) throws -> LinearRegressionTask {
        try #require(try loadTask(
            #"{"task": "linear-regression", "data": \#(data), "optimizer": {"name": "adam", "learning_rate": 0.1}, "steps": \#(steps)}"#,
            files: files) as? LinearRegressionTask)
    }

    private func loadTask(_ config: String, files: [String: String]) throws -> any RunnableTask {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        for (name, text) in files { try directory.write(name, text) }
        return try TaskLoader.load(path: try directory.write("config.json", config))
    }

    /// The message of the error loading `data` throws, the directory written as DIR.
    private func failure(data: String, files: [String: String] = ["d.csv": rows]) throws -> String {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        for (name, text) in files { try directory.write(name, text) }
        let path = try directory.write(
            "config.json", #"{"task": "linear-regression", "data": \#(data), "optimizer": {"name": "sgd"}, "steps": 1}"#)
        let error = try #require(throws: (any Error).self) { try TaskLoader.load(path: path) }
        return "\(error)".replacingOccurrences(of: directory.path, with: "DIR")
    }

    private func run(_ task: LinearRegressionTask) throws -> TaskReport {
        try task.run(options: RunOptions(verbosity: .quiet)) { _ in }
    }

    @Test func aQuarterHeldOutTrainsOnThreeQuartersAndReportsATestLoss() throws {
        let task = try load(data: #"{"path": "d.csv", "test_fraction": 0.25, "split": "shuffled", "seed": 3}"#)
        #expect(task.split.train.count == 15 && task.split.test.count == 5)
        #expect(task.resolvedDescription["train_rows"]?.intValue == 15 && task.resolvedDescription["test_rows"]?.intValue == 5)
        let report = try run(task)
        #expect(report.exitStatus == 0)
        #expect(report.extra["train_examples"]?.intValue == 15 && report.extra["test_examples"]?.intValue == 5)
        let testLoss = try #require(report.extra["test_loss"]?.doubleValue, "\(report.extra)")
        let trainLoss = try #require(report.extra["train_loss"]?.doubleValue)
        #expect(testLoss.isFinite && testLoss > 0 && trainLoss.isFinite && trainLoss > 0)
    }

    @Test func trainingSeesTheTrainingRowsOnly() throws {
        // The first 15 rows, held out by file order, train exactly as a file of those rows alone.
        let split = try run(try load(data: #"{"path": "d.csv", "test_fraction": 0.25, "split": "file_order"}"#))
        let firstRows = Self.rows.split(separator: "\n").prefix(16).joined(separator: "\n") + "\n"
        let alone = try run(try load(data: #"{"path": "d.csv"}"#, files: ["d.csv": firstRows]))
        #expect(try parameter("w", in: split) == parameter("w", in: alone))
        #expect(try parameter("c", in: split) == parameter("c", in: alone))
        #expect(split.extra["train_loss"] == alone.extra["train_loss"])
        #expect(split.extra["test_loss"]?.doubleValue != nil && alone.extra["test_loss"]?.isNull == true)
        // The held-out rows are the file's last five, x = 15…19.
        let held = try load(data: #"{"path": "d.csv", "test_fraction": 0.25, "split": "file_order"}"#).split.test
        #expect(held.features.scalars == [15, 16, 17, 18, 19])
    }

    @Test func byDefaultEveryRowOfRawXTrainsAndTestLossIsNull() throws {
        let task = try load(data: #"{"path": "d.csv"}"#)
        #expect(task.split.train.count == 20 && task.split.test.count == 0)
        #expect(task.split.train.features.scalars == (0..<20).map(Float.init))
        let report = try run(task)
        #expect(report.extra["test_loss"]?.isNull == true)
        #expect(report.extra["train_examples"]?.intValue == 20 && report.extra["test_examples"]?.intValue == 0)
    }

    @Test func itsShuffledSplitHoldsOutTheRowsTheLogisticTaskDoes() throws {
        // x = 0…19 with labels 0 and 1, which both tasks can read.
        let labelled = "x,y\n" + (0..<20).map { "\($0),\($0 % 2)" }.joined(separator: "\n") + "\n"
        func splits(seed: Int) throws -> (linear: DatasetSplit, logistic: DatasetSplit) {
            let data = #"{"path": "d.csv", "label": "y", "test_fraction": 0.3, "split": "shuffled", "seed": \#(seed), "standardize": "none"}"#
            let linear = try load(data: data, files: ["d.csv": labelled]).split
            let logistic = try #require(try loadTask(
                #"{"task": "logistic-regression", "data": \#(data), "optimizer": {"name": "adam"}, "steps": 1}"#,
                files: ["d.csv": labelled]) as? LogisticRegressionTask).split
            return (linear, logistic)
        }
        let (linear, logistic) = try splits(seed: 7)
        #expect(linear.test.count == 6)
        #expect(linear.train.features.scalars == logistic.train.features.scalars)
        #expect(linear.test.features.scalars == logistic.test.features.scalars)
        // A shuffled split is not the file's last rows, and another seed holds out other rows.
        #expect(linear.test.features.scalars != [14, 15, 16, 17, 18, 19])
        #expect(try splits(seed: 8).linear.test.features.scalars != linear.test.features.scalars)
    }

    @Test func standardisingOnTheTrainingRowsCentresThem() throws {
        let task = try load(data: #"{"path": "d.csv", "test_fraction": 0.25, "split": "file_order", "standardize": "train_rows"}"#)
        let x = task.split.train.features.scalars
        #expect(abs(x.reduce(0, +) / Float(x.count)) < 1e-5)
        // The held-out rows keep their place on the same scale: x = 15 is one step past x = 14.
        let step = x[1] - x[0]
        #expect(step > 0 && abs(task.split.test.features.scalars[0] - (x[14] + step)) < 1e-5)
        #expect(try run(task).exitStatus == 0)
    }

    @Test func wrongSplitKeysAreErrorsThatNameTheKey() throws {
        let misspelt = try failure(data: #"{"path": "d.csv", "test_fractoin": 0.25}"#)
        #expect(misspelt.contains("key path 'data.test_fractoin': unknown key (did you mean 'test_fraction'?)"), "\(misspelt)")
        let whole = try failure(data: #"{"path": "d.csv", "test_fraction": 1}"#)
        #expect(whole.contains("key path 'data.test_fraction': ") && whole.contains("[0, 1)"), "\(whole)")
        let negative = try failure(data: #"{"path": "d.csv", "test_fraction": -0.1}"#)
        #expect(negative.contains("key path 'data.test_fraction': "), "\(negative)")
        let tooMany = try failure(data: #"{"path": "d.csv", "test_fraction": 0.99}"#)
        #expect(tooMany.hasSuffix("key path 'data.test_fraction': 0.99 leaves no training rows out of 20; expected a fraction that leaves at least one"), "\(tooMany)")
        let order = try failure(data: #"{"path": "d.csv", "split": "random"}"#)
        #expect(order.contains(#"key path 'data.split': expected one of "shuffled", "file_order", found "random""#), "\(order)")
        let seed = try failure(data: #"{"path": "d.csv", "seed": -1}"#)
        #expect(seed.contains("key path 'data.seed': "), "\(seed)")
        let flag = try failure(data: #"{"path": "d.csv", "standardize": true}"#)
        #expect(flag.contains(#"key path 'data.standardize': expected one of "train_rows", "all_rows", "none", found true"#), "\(flag)")
    }
}
