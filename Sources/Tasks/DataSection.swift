import ConfigKit
import Datasets
import JSON
import Storage

/// The keys a `data` object means the same by in every task that splits or standardises its
/// data (`train`, `logistic-regression`, `linear-regression`): `source`, `path`, `header`,
/// `label`, `test_fraction`, `split`, `standardize`; and the old spellings they replaced,
/// refused with a pointer to the new key.
enum DataSection {
    /// Refuses the keys an older `data` object took: `train_fraction` (now `test_fraction`) and
    /// `format` (now `source`).
    static func refuseOldKeys(_ data: ConfigObject) throws {
        try data.refuseReplaced("train_fraction", by: "test_fraction", conversion: "test_fraction = 1 − train_fraction")
        try data.refuseReplaced("format", by: "source", conversion: "\"format\": \"digits\" is \"source\": \"digits\"")
    }

    /// `header`: whether a CSV file's first row names its columns (default `true`).
    static func readHeader(_ data: inout ConfigObject) throws -> Bool {
        try data.optional("header", as: Bool.self, default: true)
    }

    /// `label`: the label column by name (a header's) or by index from 0; `nil` when absent.
    ///
    /// - Throws: `ConfigError` for a name when `hasHeader` is false, which has no names.
    static func readLabel(_ data: inout ConfigObject, hasHeader: Bool, context: ConfigContext) throws -> CSVColumn? {
        guard let column = try data.optional("label", as: ColumnSelection.self)?.column else { return nil }
        if case .name(let name) = column, !hasHeader {
            throw context.error(
                in: data, key: "label",
                "column '\(name)' is chosen by name, but \"header\": false gives the columns no names; expected the column's index, counting from 0")
        }
        return column
    }

    /// `error` at the config key that chose the column it is about, when it is a column the
    /// file lacks: the message then names the config's file, line and key path too, and, for
    /// a misspelt name, the closest column name. Any other error is returned as it is.
    ///
    /// - Parameter keys: the keys of `data` that chose columns, and the columns they chose.
    static func columnError(
        _ error: DatasetError, in data: ConfigObject, context: ConfigContext, keys: [(key: String, column: CSVColumn)]
    ) -> any Error {
        switch error.reason {
        case let .unknownColumn(name, available):
            guard let key = keys.first(where: { $0.column == .name(name) })?.key else { return error }
            let suggestion = closestMatch(to: name, among: available).map { " (did you mean '\(quoted($0))'?)" } ?? ""
            return context.error(in: data, key: key, "\(error)\(suggestion)")
        case .columnOutOfRange(let index, _):
            guard let key = keys.first(where: { $0.column == .index(index) })?.key else { return error }
            return context.error(in: data, key: key, "\(error)")
        case .labelAmongFeatures:
            // Only a task that names its feature column (linear regression) can choose both.
            guard keys.contains(where: { $0.key == "label" }), keys.contains(where: { $0.key == "feature" }) else { return error }
            return context.error(in: data, key: "label", "the label and the feature are the same column of '\(error.file)'; expected two different columns")
        default:
            return error
        }
    }

    /// `test_fraction`: the held-out fraction, in [0, 1).
    static func readTestFraction(_ data: inout ConfigObject, default defaultValue: Double) throws -> Double {
        try data.optional("test_fraction", as: Double.self, default: defaultValue, .in(0..<1))
    }

    /// `seed`, in the tasks whose data section has the only seed of the split
    /// (`linear-regression`, `logistic-regression`): the seed of a `shuffled` split's
    /// permutation, 0 when absent. A train config's split is drawn from `training.seed` instead.
    static func readSplitSeed(_ data: inout ConfigObject) throws -> UInt64 {
        UInt64(try data.optional("seed", as: Int.self, default: 0, .nonNegative))
    }

    /// Reads `test_fraction`, `split` and `standardize`, in that order, and divides `dataset`
    /// as they say; the one implementation of the split for every task.
    ///
    /// The held-out count is ``TrainTask/heldOutCount(fraction:of:)``. `all_rows` standardises
    /// every row before the split; `shuffled` draws the permutation from `seed` alone
    /// (``Dataset/split(trainCount:shuffledWithSeed:)``), so two tasks given the same rows and
    /// seed hold out the same rows; `train_rows` fits on the training part after the split.
    ///
    /// - Parameters:
    ///   - defaults: each key's value when absent; they differ by task (a lecture config
    ///     reproduces its figures with the defaults).
    ///   - rowName: what the error messages call a row (`"rows"`, `"examples"`).
    /// - Returns: the split and the statistics the features were standardised with, if they were.
    /// - Throws: `ConfigError` for a value out of range, or a `test_fraction` that leaves no
    ///   training row.
    static func split(
        _ dataset: consuming Dataset, reading data: inout ConfigObject, defaults: SplitDefaults, seed: UInt64,
        rowName: String = "rows", context: ConfigContext
    ) throws -> (split: DatasetSplit, standardizer: Standardizer?) {
        let testFraction = try readTestFraction(&data, default: defaults.testFraction)
        let orderText = try data.optional(
            "split", as: String.self, default: defaults.order.rawValue, .oneOf(SplitOrder.allCases.map(\.rawValue)))
        let order = SplitOrder(rawValue: orderText)!
        let standardization = try Standardization.read(&data, default: defaults.standardization, context: context)
        let trainCount = dataset.count - TrainTask.heldOutCount(fraction: testFraction, of: dataset.count)
        // Checked before standardising on the training rows, which needs at least one.
        guard trainCount > 0 else {
            throw context.error(
                in: data, key: "test_fraction",
                "\(testFraction) leaves no training \(rowName) out of \(dataset.count); expected a fraction that leaves at least one")
        }
        var standardizer: Standardizer?
        if standardization == .allRows {
            let fitted = Standardizer.fit(dataset.features)
            dataset = dataset.standardized(using: fitted)
            standardizer = fitted
        }
        // The training rows stay in the data's own storage: no second copy of the features.
        var split = order == .shuffled
            ? (consume dataset).splitReusingStorage(trainCount: trainCount, shuffledWithSeed: seed)
            : dataset.splitReusingStorage(trainCount: trainCount)
        if standardization == .trainRows {
            let standardized = split.standardized()
            split = standardized.split
            standardizer = standardized.standardizer
        }
        // A test value far from the training rows (3e38 beside values near 1) is finite as read
        // but not once standardised by their statistics, and the model would take it for an
        // infinity. (A row the statistics were fitted on stays within √rows deviations.)
        if let standardizer, standardization == .trainRows, let (index, value) = split.test.features.firstNonFiniteElement {
            let (row, column) = index.quotientAndRemainder(dividingBy: split.test.featureCount)
            throw context.error(
                in: data, key: "standardize",
                "standardised by the training rows' mean \(standardizer.mean[column]) and deviation \(standardizer.scale[column]), feature '\(quoted(split.test.featureNames[column]))' of the test split's example \(row + 1) is \(value), beyond a 32-bit float: the test rows hold values too far from the training rows' to standardise; remove the outliers, or set \"standardize\": \"none\"")
        }
        return (split, standardizer)
    }

    /// The memory a CSV file's values may take as it is read, and its description for the
    /// message: the budget's limit, so that a file too large for the machine stops at the row
    /// that would pass it instead of ending in the kernel's out-of-memory killer.
    static func csvMemory(_ budget: MemoryBudget?) throws -> (bytes: Int, description: String) {
        try (budget ?? MemoryBudget.current()).allowance
    }

    /// The warnings a CSV file's header calls for: a header whose feature fields are all
    /// numbers (likelier the first example), and a label column taken by default (the last)
    /// that the header leaves unnamed, as a trailing comma does.
    static func headerWarnings(path: String, dataset: Dataset, headerLooksLikeData: Bool, labelGiven: Bool) -> [String] {
        var warnings: [String] = []
        if headerLooksLikeData {
            warnings.append("warning: the first row of '\(path)' looks like data (its feature fields are numbers) but is read as the header; set \"header\": false in data if the file has none")
        }
        if !labelGiven, let name = dataset.labelName, name.isEmpty {
            let column = dataset.featureCount + 1
            warnings.append("warning: the label is the last column of '\(path)' (column \(column)), which the header leaves unnamed (a trailing comma?); name it, or set \"label\" in data to the column meant")
        }
        return warnings
    }
}

/// The values ``DataSection/split(_:reading:defaults:seed:rowName:context:)`` takes for the
/// keys a `data` object leaves out.
struct SplitDefaults {
    var testFraction: Double
    var order: SplitOrder
    var standardization: Standardization
}

/// What a `data` object's `split` key asks for: the order the rows are in when the last
/// `test_fraction` of them are held out.
enum SplitOrder: String, CaseIterable, Sendable {
    /// A permutation drawn from the split's seed: the test rows are a random sample.
    case shuffled
    /// The file's order: the last rows are held out, as code slicing the first rows does.
    case fileOrder = "file_order"
}

/// What a `data` object's `standardize` key asks for: which rows the features' mean and
/// standard deviation are fitted on. The fitted statistics are applied to every row.
enum Standardization: String, CaseIterable, Sendable {
    /// Fitted on the training rows only, so nothing of the test rows reaches training.
    case trainRows = "train_rows"
    /// Fitted on every row before the split, test rows included (the lecture's logistic
    /// regression does this); only when a config asks for it.
    case allRows = "all_rows"
    /// Features as they are.
    case none

    /// Reads `standardize`; `true` and `false`, which an earlier format took, are refused with
    /// the string that says the same.
    static func read(_ data: inout ConfigObject, default defaultValue: Standardization, context: ConfigContext) throws -> Standardization {
        let choices = allCases.map(\.rawValue)
        if let member = data.object.member("standardize"), let flag = member.value.boolValue {
            throw ConfigError(
                .typeMismatch, file: context.file, position: member.value.position, keyPath: data.path.appending(key: "standardize"),
                message: "expected one of \(choices.map { "\"\($0)\"" }.joined(separator: ", ")), found \(flag) (standardize is a string: \(flag) is \"\(flag ? Standardization.trainRows.rawValue : Standardization.none.rawValue)\")")
        }
        let text = try data.optional("standardize", as: String.self, default: defaultValue.rawValue, .oneOf(choices))
        return Standardization(rawValue: text)!
    }
}

/// A CSV column named in a config: a string is a header name, a non-negative integer an index
/// counting from 0.
struct ColumnSelection: ConfigValue {
    var column: CSVColumn

    static var expectedDescription: String { "a column name (a string) or index (an integer from 0)" }
    static var pluralDescription: String { "column names or indices" }

    static func decode(_ node: ConfigNode) throws -> ColumnSelection {
        if let name = node.value.stringValue {
            guard !name.isEmpty else { throw node.invalidValue(expected: "a non-empty column name, or an index") }
            return ColumnSelection(column: .name(name))
        }
        guard case .number = node.value.kind else { throw node.typeMismatch(expected: expectedDescription) }
        let index = try Int.decode(node)
        guard index >= 0 else { throw node.invalidValue(expected: "a column index from 0") }
        return ColumnSelection(column: .index(index))
    }
}
