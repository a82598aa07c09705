#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Autograd

extension Dataset {
    /// What the label column holds.
    public enum LabelKind: Sendable {
        /// Real numbers to regress (or 0/1 targets used as floats).
        case regression
        /// Integer classes `0, 1, 2, …`; each label must be a non-negative integer.
        case classes
    }

    /// Loads a dataset from a CSV file of numbers.
    ///
    /// Fields are separated by commas; spaces and tabs around a field, blank lines and `\r\n`
    /// line ends are accepted, and fields may be quoted (`"1.5"`). Only the selected columns
    /// need to hold numbers, and every selected value must be finite.
    ///
    /// ```swift
    /// let line = try Dataset.loadCSV(path: "datasets/seed_linear_data.csv", hasHeader: true,
    ///                                labelColumn: "y", featureColumns: ["x"])
    /// ```
    ///
    /// - Parameters:
    ///   - path: the file to read.
    ///   - hasHeader: whether the first row names the columns (and is not data).
    ///   - labelColumn: the column holding the labels, by name or index; `nil` (the default)
    ///     takes the last column, the usual layout of such files.
    ///   - featureColumns: the feature columns in the order wanted; `nil` (the default) takes
    ///     every column but the label, in file order.
    ///   - labels: whether the labels are numbers to regress or integer classes.
    /// - Returns: the dataset; feature names come from the header (or are `x0`, `x1`, …).
    /// - Throws: ``DatasetError`` for a missing, unreadable or empty file, a row with the wrong
    ///   number of fields, a field that is not a finite number, a label that is not a class,
    ///   or a column that does not exist; the message names the file, line and column.
    public static func loadCSV(
        path: String, hasHeader: Bool = false, labelColumn: CSVColumn? = nil,
        featureColumns: [CSVColumn]? = nil, labels: LabelKind = .regression
    ) throws -> Dataset {
        let bytes = try readFile(path: path)
        return try bytes.withUnsafeBufferPointer { buffer in
            try makeDataset(
                bytes: buffer, source: path, hasHeader: hasHeader, labelColumn: labelColumn,
                featureColumns: featureColumns, labels: labels)
        }
    }

    /// Parses CSV text already in memory, as ``loadCSV(path:hasHeader:labelColumn:featureColumns:labels:)``
    /// does a file; `source` names the text in error messages.
    public static func parseCSV(
        _ text: String, source: String = "<text>", hasHeader: Bool = false, labelColumn: CSVColumn? = nil,
        featureColumns: [CSVColumn]? = nil, labels: LabelKind = .regression
    ) throws -> Dataset {
        var text = text
        return try text.withUTF8 { buffer in
            try makeDataset(
                bytes: buffer, source: source, hasHeader: hasHeader, labelColumn: labelColumn,
                featureColumns: featureColumns, labels: labels)
        }
    }

    /// The bytes of the file at `path`, or a ``DatasetError`` saying why there are none.
    static func readFile(path: String) throws -> [UInt8] {
        var isDirectory = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw DatasetError(file: path, reason: .fileNotFound)
        }
        if isDirectory {
            throw DatasetError(file: path, reason: .unreadable("it is a directory"))
        }
        do {
            return [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        } catch {
            throw DatasetError(file: path, reason: .unreadable("\(error)"))
        }
    }

    private static func makeDataset(
        bytes: UnsafeBufferPointer<UInt8>, source: String, hasHeader: Bool, labelColumn: CSVColumn?,
        featureColumns: [CSVColumn]?, labels: LabelKind
    ) throws -> Dataset {
        // Columns are resolved once the header and the width of the first row are known; the
        // label goes last in the selection.
        let selection = try CSVParser.read(
            bytes: bytes, source: source, hasHeader: hasHeader, lastSelectedIsClassLabel: labels == .classes
        ) { names, columnCount in
            func resolve(_ column: CSVColumn) throws -> Int {
                switch column {
                case .index(let index):
                    guard index >= 0 && index < columnCount else {
                        throw DatasetError(file: source, reason: .columnOutOfRange(index: index, columnCount: columnCount))
                    }
                    return index
                case .name(let name):
                    guard let names else {
                        throw DatasetError(file: source, reason: .columnNameWithoutHeader(name: name))
                    }
                    let wanted = name.trimmingBlanks()
                    guard let index = names.firstIndex(where: { $0.trimmingBlanks() == wanted }) else {
                        throw DatasetError(file: source, reason: .unknownColumn(name: name, available: names))
                    }
                    return index
                }
            }
            let labelIndex = try labelColumn.map(resolve) ?? (columnCount - 1)
            let features = try featureColumns?.map(resolve) ?? (0..<columnCount).filter { $0 != labelIndex }
            if features.contains(labelIndex) {
                throw DatasetError(
                    file: source, reason: .labelAmongFeatures(column: ColumnReference(index: labelIndex, name: names?[labelIndex])))
            }
            return features + [labelIndex]
        }
        return makeDataset(from: selection, labels: labels)
    }

    private static func makeDataset(from selection: CSVSelection, labels: LabelKind) -> Dataset {
        let width = selection.selected.count
        let featureCount = width - 1
        let rowCount = selection.rowCount
        let featureNames = selection.header.map { header in
            selection.selected.dropLast().map { header[$0].trimmingBlanks() }
        }
        let features = selection.values.withUnsafeBufferPointer { values in
            Tensor(shape: [rowCount, featureCount]) { buffer in
                for row in 0..<rowCount {
                    for column in 0..<featureCount {
                        buffer[row * featureCount + column] = Float(values[row * width + column])
                    }
                }
            }
        }
        let labelValues = (0..<rowCount).map { selection.values[$0 * width + featureCount] }
        var dataset: Dataset
        switch labels {
        case .regression:
            dataset = Dataset(
                features: features, targets: Tensor(shape: [rowCount, 1], scalars: labelValues.map { Float($0) }),
                featureNames: featureNames)
        case .classes:
            dataset = Dataset(features: features, classLabels: labelValues.map { Int($0) }, featureNames: featureNames)
        }
        dataset.labelName = selection.header.map { $0[selection.selected[width - 1]].trimmingBlanks() }
        return dataset
    }
}

extension String {
    /// The string without leading and trailing spaces and tabs.
    func trimmingBlanks() -> String {
        let isBlank: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let first = firstIndex(where: { !isBlank($0) }) else { return "" }
        let last = lastIndex(where: { !isBlank($0) })!
        return String(self[first...last])
    }
}
