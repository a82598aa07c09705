import Autograd

/// Chosen numeric columns of a CSV file with no label: the input of a model's predictions.
///
/// The file is read by the same parser, with the same rules, as
/// ``Dataset/loadCSV(path:hasHeader:labelColumn:featureColumns:labels:classLimit:maximumFileBytes:)``:
/// blanks around fields, blank lines, `\r\n` or `\r` line ends and quoted fields are accepted,
/// every chosen field must be a finite number, and each number is read as a `Double` and rounded
/// once to `Float`, so a row gives the same bits here as in a training set.
///
/// ```swift
/// // The columns named x and y, in that order.
/// let input = try CSVColumns.load(path: "new.csv", hasHeader: true) { header, _ in
///     try ["x", "y"].map { name in
///         guard let index = header?.firstIndex(of: name) else { throw MissingColumn(name) }
///         return index
///     }
/// }
/// input.values   // [rows, 2]
/// ```
public struct CSVColumns: Sendable {
    /// The header's fields, blanks around them trimmed, when the file has a header.
    public let header: [String]?
    /// The number of fields in each row.
    public let columnCount: Int
    /// The indices of the chosen columns, in the order of ``values``' columns.
    public let chosen: [Int]
    /// The chosen columns' numbers, shape `[rows, chosen.count]`.
    public let values: Tensor

    /// Reads the columns that `choose` picks.
    ///
    /// - Parameters:
    ///   - path: the file to read.
    ///   - hasHeader: whether the first row names the columns (and is not data).
    ///   - memory: the memory the values may take while they are read, and its description for
    ///     the message (`the 512.0 MiB of SWIFTGRAD_MAX_MEMORY_MB=512`), as a training set's
    ///     reader takes them: reading stops with ``DatasetError/Reason/tooManyValues(limit:memory:)``
    ///     at the row where the values, at 12 bytes each (as read, the columns put back in order,
    ///     the tensor), would outgrow it, and with ``DatasetError/Reason/tooManyFields(limit:memory:)``
    ///     at the field of the first row where the columns would; `nil` for no limit.
    ///   - choose: given the header (`nil` without one) and the number of fields in the first
    ///     row, the indices of the columns to read, in order; it throws to refuse the file.
    /// - Throws: what `choose` throws, or ``DatasetError`` naming the file, line and column for
    ///   a missing or empty file, a ragged row, a field that is not a finite number, or more
    ///   values or columns than `memory` holds.
    public static func load(
        path: String, hasHeader: Bool, memory: (bytes: Int, description: String)? = nil,
        choose: @escaping ([String]?, Int) throws -> [Int]
    ) throws -> CSVColumns {
        var columns = 0
        let valueLimit = memory.map { (count: $0.bytes / Dataset.bytesPerValueLoaded, memory: $0.description) }
        var reader = CSVReader(source: path, hasHeader: hasHeader, labels: .numbers, valueLimit: valueLimit) { names, columnCount in
            columns = columnCount
            let chosen = try choose(names?.map { $0.trimmingBlanks() }, columnCount)
            if let bad = chosen.first(where: { !(0..<columnCount).contains($0) }) {
                throw DatasetError(file: path, reason: .columnOutOfRange(index: bad, columnCount: columnCount))
            }
            return chosen
        }
        try Dataset.feed(path, to: &reader)
        var table = try reader.finish()
        // The reader keeps the last chosen column apart (as a label); put it back in its place.
        let width = table.selected.count, rows = table.rowCount
        var leading = [Float](repeating: 0, count: rows * (width - 1))
        leading.withUnsafeMutableBufferPointer { table.features.move(to: $0) }
        let values = Tensor(shape: [rows, width]) { buffer in
            for row in 0..<rows {
                for column in 0..<(width - 1) { buffer[row * width + column] = leading[row * (width - 1) + column] }
                buffer[row * width + width - 1] = table.labels[row]
            }
        }
        return CSVColumns(
            header: table.header?.map { $0.trimmingBlanks() }, columnCount: columns,
            chosen: table.selected, values: values)
    }

    private init(header: [String]?, columnCount: Int, chosen: [Int], values: Tensor) {
        self.header = header
        self.columnCount = columnCount
        self.chosen = chosen
        self.values = values
    }
}
