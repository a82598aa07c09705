#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Autograd
import Storage

extension Dataset {
    /// What the label column holds.
    public enum LabelKind: Sendable {
        /// Real numbers to regress (or 0/1 targets used as floats).
        case regression
        /// Classes named by the labels, which may be any text: the distinct labels, sorted, are
        /// the classes `0, 1, …, K−1`, and ``Dataset/classNames`` keeps them. Integer labels
        /// sort numerically (`-1, 1` or `1, 2, 3`; `1` and `1.0` are one label), any other
        /// labels as text by their UTF-8 bytes (`"cat", "dog"`). A column of numbers that are
        /// not all integers is refused: it is a quantity to regress.
        case classes
        /// Integer class indices `0, 1, 2, …` used as they are, for formats whose labels are
        /// the classes (the digits): each label must be a non-negative integer below the limit,
        /// and a class that does not occur still counts.
        case classIndices
    }

    /// The largest data file
    /// ``loadCSV(path:hasHeader:labelColumn:featureColumns:labels:classLimit:maximumFileBytes:)``
    /// and ``loadIDX(imagesPath:labelsPath:scale:classCount:)`` read by default: 2 GiB.
    public static let defaultMaximumFileBytes = 2 << 30

    /// The most classes a CSV file may hold (2²⁴, the integers a `Float` target holds exactly):
    /// distinct labels for ``LabelKind/classes``, indices `0..<classLabelLimit` for
    /// ``LabelKind/classIndices``.
    public static let classLabelLimit = CSVReader.classLabelLimit

    /// Loads a dataset from a CSV file of numbers.
    ///
    /// Fields are separated by commas; spaces and tabs around a field, blank lines, `\r\n` or
    /// `\r` line ends and a UTF-8 byte order mark are accepted, and fields may be quoted (`"1.5"`).
    /// Only the selected columns need to hold numbers, written in decimal (`-1.5e-3`; not
    /// `0x10`, `inf` or `nan`), and every selected value must be finite as a 32-bit float.
    ///
    /// The file is read in chunks and only the selected values are kept, as `Float`s: loading
    /// takes about twice the memory of the features it returns, whatever the file's size.
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
    ///   - classLimit: for ``LabelKind/classes``, the most distinct labels; for
    ///     ``LabelKind/classIndices``, the labels must lie in `0..<classLimit`. At most
    ///     ``classLabelLimit`` either way.
    ///   - maximumFileBytes: larger files are refused before they are read.
    /// - Returns: the dataset; feature names come from the header (or are `x0`, `x1`, …), and
    ///   for ``LabelKind/classes`` ``Dataset/classNames`` holds each class's label.
    /// - Throws: ``DatasetError`` for a missing, unreadable, empty or too large file, or one
    ///   that is not a regular file, a row with the wrong number of fields, a field that is not
    ///   a finite number, a label that is not a class, or a column that does not exist; the
    ///   message names the file, line and column.
    public static func loadCSV(
        path: String, hasHeader: Bool = false, labelColumn: CSVColumn? = nil,
        featureColumns: [CSVColumn]? = nil, labels: LabelKind = .regression,
        classLimit: Int = classLabelLimit, maximumFileBytes: Int = defaultMaximumFileBytes
    ) throws -> Dataset {
        try loadCSVCheckingHeader(
            path: path, hasHeader: hasHeader, labelColumn: labelColumn, featureColumns: featureColumns, labels: labels,
            classLimit: classLimit, maximumFileBytes: maximumFileBytes
        ).dataset
    }

    /// ``loadCSV(path:hasHeader:labelColumn:featureColumns:labels:classLimit:maximumFileBytes:)``,
    /// also telling whether every feature field of the header row is a number, which suggests a
    /// file without a header whose first example was taken for one (always `false` without a
    /// header).
    ///
    /// `memory`, when given, is the memory the data may take, in bytes, and a description of it
    /// for the message (`the 512.0 MiB of SWIFTGRAD_MAX_MEMORY_MB=512`): reading stops with
    /// ``DatasetError/Reason/tooManyValues(limit:memory:)`` at the row where the values, at
    /// ``bytesPerValueLoaded`` each, would outgrow it, and with
    /// ``DatasetError/Reason/tooManyFields(limit:memory:)`` at the field of the first row where
    /// the columns would.
    package static func loadCSVCheckingHeader(
        path: String, hasHeader: Bool, labelColumn: CSVColumn? = nil,
        featureColumns: [CSVColumn]? = nil, labels: LabelKind = .regression,
        classLimit: Int = classLabelLimit, maximumFileBytes: Int = defaultMaximumFileBytes,
        memory: (bytes: Int, description: String)? = nil
    ) throws -> (dataset: Dataset, headerLooksLikeData: Bool) {
        var reader = makeReader(
            source: path, hasHeader: hasHeader, labelColumn: labelColumn, featureColumns: featureColumns,
            labels: labels, classLimit: classLimit,
            valueLimit: memory.map { ($0.bytes / bytesPerValueLoaded, $0.description) })
        try feed(path, to: &reader, maximumBytes: maximumFileBytes)
        let table = try reader.finish()
        return (makeDataset(from: table, labels: labels), table.headerLooksLikeData)
    }

    /// Parses CSV text already in memory, as ``loadCSV(path:hasHeader:labelColumn:featureColumns:labels:classLimit:maximumFileBytes:)``
    /// does a file; `source` names the text in error messages.
    public static func parseCSV(
        _ text: String, source: String = "<text>", hasHeader: Bool = false, labelColumn: CSVColumn? = nil,
        featureColumns: [CSVColumn]? = nil, labels: LabelKind = .regression, classLimit: Int = classLabelLimit
    ) throws -> Dataset {
        var reader = makeReader(
            source: source, hasHeader: hasHeader, labelColumn: labelColumn, featureColumns: featureColumns,
            labels: labels, classLimit: classLimit)
        var text = text
        try text.withUTF8 { try reader.consume($0) }
        return makeDataset(from: try reader.finish(), labels: labels)
    }

    /// Reads the data file at `path` in chunks into `reader`, after refusing a missing path or a
    /// directory; a file the bounded reader refuses (too large, not a regular file) is a
    /// ``DatasetError`` naming it.
    static func feed(_ path: String, to reader: inout CSVReader, maximumBytes: Int = defaultMaximumFileBytes) throws {
        try checkExists(path)
        do {
            try InputFile.readChunks(path, limit: maximumBytes, what: "data file") { try reader.consume($0) }
        } catch let error as FileError {
            throw DatasetError(file: path, reason: .refused(error.message))
        }
    }

    /// Refuses a missing path or a directory with the messages data files have always had.
    private static func checkExists(_ path: String) throws {
        var isDirectory = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw DatasetError(file: path, reason: .fileNotFound)
        }
        if isDirectory {
            throw DatasetError(file: path, reason: .unreadable("it is a directory"))
        }
    }

    /// The bytes of the file at `path`, or a ``DatasetError`` saying why there are none.
    static func readFile(path: String, maximumBytes: Int = defaultMaximumFileBytes) throws -> [UInt8] {
        try checkExists(path)
        do {
            return try InputFile.read(path, limit: maximumBytes, what: "data file")
        } catch let error as FileError {
            throw DatasetError(file: path, reason: .refused(error.message))
        }
    }

    /// The bytes a value read from a data file comes to at most while a run prepares its data:
    /// the blocks it is read into, the contiguous tensor made from them, and a standardised copy.
    package static let bytesPerValueLoaded = 3 * MemoryLayout<Float>.size

    private static func makeReader(
        source: String, hasHeader: Bool, labelColumn: CSVColumn?, featureColumns: [CSVColumn]?, labels: LabelKind,
        classLimit: Int, valueLimit: (count: Int, memory: String)? = nil
    ) -> CSVReader {
        // Columns are resolved once the header and the width of the first row are known; the
        // label goes last in the selection.
        let limit = Swift.min(Swift.max(classLimit, 1), classLabelLimit)
        let reading: CSVLabelReading = switch labels {
        case .regression: .numbers
        case .classes: .distinctClasses(limit: limit)
        case .classIndices: .classIndices(limit: limit)
        }
        return CSVReader(source: source, hasHeader: hasHeader, labels: reading, valueLimit: valueLimit) { names, columnCount in
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
                    let matches = names.indices.filter { names[$0].trimmingBlanks() == wanted }
                    guard let index = matches.first else {
                        throw DatasetError(file: source, reason: .unknownColumn(name: name, available: names))
                    }
                    // A name that two columns share could mean either: say so rather than pick one.
                    if matches.count > 1 {
                        throw DatasetError(file: source, reason: .duplicateColumnName(name: wanted, first: index, second: matches[1]))
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
            if features.isEmpty {
                throw DatasetError(
                    file: source, reason: .noFeatureColumns(label: ColumnReference(index: labelIndex, name: names?[labelIndex])))
            }
            return features + [labelIndex]
        }
    }

    private static func makeDataset(from table: CSVTable, labels: LabelKind) -> Dataset {
        var table = table
        let featureCount = table.selected.count - 1
        let rowCount = table.rowCount
        let featureNames = table.header.map { header in
            table.selected.dropLast().map { header[$0].trimmingBlanks() }
        }
        let features = Tensor(shape: [rowCount, featureCount]) { table.features.move(to: $0) }
        var dataset: Dataset
        switch labels {
        case .regression:
            dataset = Dataset(
                features: features, targets: Tensor(shape: [rowCount, 1], scalars: table.labels), featureNames: featureNames)
        case .classes:
            dataset = Dataset(
                features: features, classLabels: table.labels.map { Int($0) }, classCount: table.classNames?.count,
                featureNames: featureNames)
            dataset.classNames = table.classNames
        case .classIndices:
            dataset = Dataset(features: features, classLabels: table.labels.map { Int($0) }, featureNames: featureNames)
        }
        dataset.labelName = table.header.map { $0[table.selected[featureCount]].trimmingBlanks() }
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
