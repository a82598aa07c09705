import Storage

/// A problem with a data file or its selection of columns, described so a person can fix it:
/// the file, the line (one-based, as an editor shows it), the column, and what was expected.
///
/// ```
/// digits.csv:17: expected 65 fields, found 64
/// data.csv:3, column 'x': 'abc' is not a number
/// data.csv: no column named 'z'; the columns are: x, y
/// ```
public struct DatasetError: Error, CustomStringConvertible, Equatable, Sendable {
    /// What went wrong.
    public enum Reason: Equatable, Sendable {
        /// Nothing exists at the path.
        case fileNotFound
        /// The file exists but could not be read (a directory, no permission, …).
        case unreadable(String)
        /// The file was refused before reading: not a regular file (a FIFO, a device) or larger
        /// than the limit. The text is the whole message, naming the file.
        case refused(String)
        /// The file holds no rows (it is empty or only blank lines).
        case emptyFile
        /// The file has a header but no data rows after it.
        case noDataRows
        /// A row has a different number of fields from the first row.
        case raggedRow(expected: Int, found: Int)
        /// A field that should hold a number is empty.
        case emptyField(column: ColumnReference)
        /// A field that should hold a number does not parse as one.
        case notANumber(column: ColumnReference, text: String)
        /// A field parses as NaN or infinity, which no model can learn from.
        case notFinite(column: ColumnReference, text: String)
        /// A class-label field does not hold a non-negative integer.
        case notAClassLabel(column: ColumnReference, text: String)
        /// A class label is at least `limit`: more classes than the data's format allows.
        case classLabelTooLarge(column: ColumnReference, text: String, limit: Int)
        /// Every label of a column read as classes is a number, but this one is not an integer:
        /// the column holds a quantity to regress.
        case fractionalClassLabel(column: ColumnReference, text: String)
        /// Every label is a number, and this integer is beyond 2⁵³, where two labels could
        /// read as one number.
        case classLabelBeyondExactIntegers(column: ColumnReference, text: String)
        /// A column read as classes has more distinct labels than `limit`.
        case tooManyClasses(column: ColumnReference, limit: Int)
        /// A number is finite as a `Double` but not as the 32-bit `Float` it is stored as.
        case outsideFloatRange(column: ColumnReference, text: String)
        /// A quoted field runs to the end of the file without its closing quote.
        case unterminatedQuote
        /// Something other than a delimiter or the end of the line follows a closing quote.
        case textAfterClosingQuote(fieldIndex: Int)
        /// A column was selected by a name the header does not have.
        case unknownColumn(name: String, available: [String])
        /// A column was selected by name in a file without a header.
        case columnNameWithoutHeader(name: String)
        /// A column was selected by an index past the last column.
        case columnOutOfRange(index: Int, columnCount: Int)
        /// The label column is also listed among the feature columns.
        case labelAmongFeatures(column: ColumnReference)
        /// A column is chosen by a name that two columns of the header have (after trimming
        /// blanks), so it could be either.
        case duplicateColumnName(name: String, first: Int, second: Int)
        /// No column is left for the features: the file has only the label column.
        case noFeatureColumns(label: ColumnReference)
        /// A binary file's layout is not what its format requires; the text says what was expected.
        case malformed(String)
        /// A field (a column's name, a class label, a number) holds bytes that are not UTF-8.
        case notUTF8(column: ColumnReference)
        /// A class label is empty.
        case emptyClassLabel(column: ColumnReference)
        /// The file holds more values than the memory the loader may use holds: `limit` values,
        /// what that memory is (`the 512.0 MiB of SWIFTGRAD_MAX_MEMORY_MB=512`).
        case tooManyValues(limit: Int, memory: String)
        /// The first record has more fields than the memory the loader may use holds while it
        /// reads them (each field's place and its column's index, and its name in a header):
        /// `limit` fields, what that memory is.
        case tooManyFields(limit: Int, memory: String)
    }

    /// The path or source name the data came from, as the caller gave it.
    public let file: String
    /// The one-based line the problem is on, or `nil` when it concerns the whole file.
    public let line: Int?
    /// What went wrong.
    public let reason: Reason

    /// An error in `file`, at `line` when it has one.
    public init(file: String, line: Int? = nil, reason: Reason) {
        self.file = file
        self.line = line
        self.reason = reason
    }

    public var description: String {
        let location = line.map { "\(file):\($0)" } ?? file
        switch reason {
        case .fileNotFound:
            return "\(file): no such file; expected a CSV data file at this path"
        case .unreadable(let why):
            return "\(file): could not be read (\(why))"
        case .refused(let message):
            return message
        case let .tooManyValues(limit, memory):
            return "\(location): the file holds more than \(limit) values in the columns read (the text kept or buffered, such as class labels or a long field, counted as values of the same memory), more than \(memory) holds with their copies while the data is prepared; use a smaller file or fewer columns, or more memory"
        case let .tooManyFields(limit, memory):
            return "\(location): the first row has more than \(limit) fields, more than \(memory) holds while the file is read; use a file with fewer columns, or more memory"
        case .emptyFile:
            return "\(file): the file is empty; expected rows of comma-separated numbers"
        case .noDataRows:
            return "\(file): the header is followed by no data rows"
        case let .raggedRow(expected, found):
            return "\(location): expected \(expected) fields, found \(found)"
        case .emptyField(let column):
            return "\(location), \(column): the field is empty; expected a number"
        case .emptyClassLabel(let column):
            return "\(location), \(column): the field is empty; expected a class label"
        case .notUTF8(let column):
            return "\(location), \(column): the field holds bytes that are not UTF-8 text; expected a file in UTF-8 (iconv converts one)"
        case let .notANumber(column, text):
            return "\(location), \(column): '\(quoted(text))' is not a number"
        case let .notFinite(column, text):
            return "\(location), \(column): '\(quoted(text))' is not a finite number; NaN and infinity are rejected"
        case let .notAClassLabel(column, text):
            return "\(location), \(column): '\(quoted(text))' is not a class label; expected a non-negative integer"
        case let .classLabelTooLarge(column, text, limit):
            return "\(location), \(column): '\(quoted(text))' is not a class label; expected an integer in 0...\(limit - 1)"
        case let .fractionalClassLabel(column, text):
            return "\(location), \(column): '\(quoted(text))' is not a class label: every label is a number and this one is not an integer; expected integer or text classes, or read the column as regression targets"
        case let .classLabelBeyondExactIntegers(column, text):
            return "\(location), \(column): '\(quoted(text))' is too large for a class label: integer labels are told apart exactly below 2^53 (9007199254740992); expected smaller integers or text classes, or read the column as regression targets"
        case let .tooManyClasses(column, limit):
            return "\(location), \(column): more than \(limit) distinct labels; expected at most \(limit) classes, or read the column as regression targets"
        case let .outsideFloatRange(column, text):
            return "\(location), \(column): '\(quoted(text))' is not a finite 32-bit float; expected a number within ±\(Float.greatestFiniteMagnitude)"
        case .unterminatedQuote:
            return "\(location): a quoted field has no closing quote before the end of the file"
        case .textAfterClosingQuote(let fieldIndex):
            return "\(location): field \(fieldIndex) (counting from 0) has text after its closing quote; expected a delimiter or the end of the line"
        case let .unknownColumn(name, available):
            return "\(file): no column named '\(quoted(name))'; the columns are: \(listed(available))"
        case .columnNameWithoutHeader(let name):
            return "\(file): column '\(quoted(name))' is selected by name, but the file is read without a header; select columns by index or read the header"
        case let .columnOutOfRange(index, columnCount):
            return "\(file): column index \(index) is out of range; the rows have \(columnCount) columns (indices 0...\(columnCount - 1))"
        case let .duplicateColumnName(name, first, second):
            return "\(file):1: columns \(first) and \(second) (counting from 0) are both named '\(quoted(name))', so a column chosen by that name could be either; rename one, or choose the column by index"
        case .labelAmongFeatures(let column):
            return "\(file): \(column) is both the label and a feature; leave it out of the feature columns"
        case .noFeatureColumns(let label):
            return "\(file): the only column is the label, \(label); expected at least one feature column besides it"
        case .malformed(let expectation):
            return "\(file): \(expectation)"
        }
    }
}

/// A column as an error message names it: by its header name when there is one, else by its
/// index counting from 0 (the same index ``CSVColumn/index(_:)`` takes).
public struct ColumnReference: Equatable, Sendable, CustomStringConvertible {
    /// The index of the column in each row, counting from 0.
    public let index: Int
    /// The column's header name, if the file has a header.
    public let name: String?

    /// The column at `index`, named `name` when the file has a header.
    public init(index: Int, name: String?) {
        self.index = index
        self.name = name
    }

    public var description: String {
        name.map { "column '\(quoted($0))'" } ?? "column index \(index)"
    }
}

/// `names` for a message, each as ``quoted(_:limit:)`` shows it (in single quotes when
/// `inQuotes`), the first ten of them followed by how many more there are: a file of 200 000
/// columns makes one short line, not megabytes.
package func listed(_ names: [String], inQuotes: Bool = true) -> String {
    let limit = 10
    let shown = names.prefix(limit).map { inQuotes ? "'\(quoted($0))'" : quoted($0) }.joined(separator: ", ")
    return names.count > limit ? "\(shown) and \(names.count - limit) more" : shown
}
