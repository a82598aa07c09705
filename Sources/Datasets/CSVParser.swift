/// A column of a CSV file, chosen by its header name or by its index counting from 0.
///
/// Literals work for both: `labelColumn: "y"` or `labelColumn: 64`.
public enum CSVColumn: Hashable, Sendable, ExpressibleByIntegerLiteral, ExpressibleByStringLiteral, CustomStringConvertible {
    /// The column at this index in each row, counting from 0.
    case index(Int)
    /// The column whose header field is this name (leading and trailing spaces ignored).
    case name(String)

    public init(integerLiteral value: Int) { self = .index(value) }
    public init(stringLiteral value: String) { self = .name(value) }

    public var description: String {
        switch self {
        case .index(let index): return "column index \(index)"
        case .name(let name): return "column '\(name)'"
        }
    }
}

/// The numbers of the selected columns of a CSV file, row-major, with the header when it has one.
struct CSVSelection {
    var header: [String]?
    /// Indices of the selected columns in the file, in the order their values are stored.
    var selected: [Int]
    /// `rowCount × selected.count` values, row-major.
    var values: [Double]
    /// The data rows read (blank lines and the header not counted).
    var rowCount: Int
}

/// A byte-level CSV reader: comma (or another one-byte) delimited, spaces and tabs around fields
/// ignored, blank lines skipped, `\n` or `\r\n` line ends, and RFC 4180 quoted fields (a quoted
/// field may hold delimiters, line breaks and doubled quotes `""`).
///
/// Numbers are parsed straight from the bytes when they are plain integers (as in the digits
/// file) and by the standard library's correctly rounded `Double(_:)` otherwise, so a 1797 × 65
/// file takes milliseconds. Only the selected columns are parsed as numbers; the others may hold
/// any text.
struct CSVParser {
    private struct Field {
        var start: Int
        var end: Int
        var hasEscapedQuotes: Bool
    }

    private let bytes: UnsafeBufferPointer<UInt8>
    private let source: String
    private let delimiter: UInt8
    private var position = 0
    /// The line the reader is on, counting from 1.
    private var line = 1
    private var fields: [Field] = []

    private static let quote = UInt8(ascii: "\"")
    private static let newline = UInt8(ascii: "\n")

    private init(bytes: UnsafeBufferPointer<UInt8>, source: String, delimiter: UInt8) {
        self.bytes = bytes
        self.source = source
        self.delimiter = delimiter
    }

    /// Reads `bytes` as CSV and returns the numbers of the columns that `select` picks.
    ///
    /// - Parameters:
    ///   - select: given the header (when `hasHeader`) and the number of fields in the first
    ///     row, returns the column indices to keep, or throws if the selection is invalid.
    ///   - lastSelectedIsClassLabel: whether the last selected column holds class labels, whose
    ///     values must be non-negative integers.
    /// - Throws: ``DatasetError`` naming the line and column of the first bad field.
    static func read(
        bytes: UnsafeBufferPointer<UInt8>, source: String, hasHeader: Bool, delimiter: UInt8 = UInt8(ascii: ","),
        lastSelectedIsClassLabel: Bool = false, select: ([String]?, Int) throws -> [Int]
    ) throws -> CSVSelection {
        var parser = CSVParser(bytes: bytes, source: source, delimiter: delimiter)
        guard let firstLine = try parser.nextRecord() else {
            throw DatasetError(file: source, reason: .emptyFile)
        }
        let columnCount = parser.fields.count
        var header: [String]? = nil
        if hasHeader {
            header = parser.fields.map { parser.text(of: $0) }
        }
        let selected = try select(header, columnCount)
        let classLabelColumn = lastSelectedIsClassLabel ? selected.last : nil
        var result = CSVSelection(header: header, selected: selected, values: [], rowCount: 0)
        func columnReference(_ index: Int) -> ColumnReference {
            ColumnReference(index: index, name: header?[index])
        }
        var recordLine: Int? = hasHeader ? try parser.nextRecord() : firstLine
        if recordLine == nil { throw DatasetError(file: source, reason: .noDataRows) }
        result.values.reserveCapacity(selected.count * bytes.count / max(1, 2 * columnCount))
        while let line = recordLine {
            guard parser.fields.count == columnCount else {
                throw DatasetError(file: source, line: line, reason: .raggedRow(expected: columnCount, found: parser.fields.count))
            }
            for column in selected {
                let field = parser.fields[column]
                let value = try parser.number(in: field, line: line, column: columnReference(column))
                if column == classLabelColumn && !(value >= 0 && value == value.rounded() && value < 0x1p53) {
                    throw DatasetError(
                        file: source, line: line,
                        reason: .notAClassLabel(column: columnReference(column), text: parser.text(of: field)))
                }
                result.values.append(value)
            }
            result.rowCount += 1
            recordLine = try parser.nextRecord()
        }
        return result
    }

    private func isBlank(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: "\r")
    }

    /// Reads the next record that is not a blank line into `fields` and returns the line it
    /// starts on, or `nil` at the end of the input.
    private mutating func nextRecord() throws -> Int? {
        // Skip blank lines.
        while true {
            var probe = position
            while probe < bytes.count && isBlank(bytes[probe]) { probe += 1 }
            if probe == bytes.count { position = probe; return nil }
            if bytes[probe] == CSVParser.newline {
                position = probe + 1
                line += 1
                continue
            }
            break
        }
        let recordLine = line
        fields.removeAll(keepingCapacity: true)
        while true {
            while position < bytes.count && isBlank(bytes[position]) { position += 1 }
            var field: Field
            if position < bytes.count && bytes[position] == CSVParser.quote {
                position += 1
                field = Field(start: position, end: position, hasEscapedQuotes: false)
                while true {
                    guard position < bytes.count else {
                        throw DatasetError(file: source, line: recordLine, reason: .unterminatedQuote)
                    }
                    let byte = bytes[position]
                    if byte == CSVParser.quote {
                        if position + 1 < bytes.count && bytes[position + 1] == CSVParser.quote {
                            field.hasEscapedQuotes = true
                            position += 2
                            continue
                        }
                        field.end = position
                        position += 1
                        break
                    }
                    if byte == CSVParser.newline { line += 1 }
                    position += 1
                }
                while position < bytes.count && isBlank(bytes[position]) { position += 1 }
                if position < bytes.count && bytes[position] != delimiter && bytes[position] != CSVParser.newline {
                    throw DatasetError(file: source, line: line, reason: .textAfterClosingQuote(fieldIndex: fields.count))
                }
            } else {
                field = Field(start: position, end: position, hasEscapedQuotes: false)
                while position < bytes.count && bytes[position] != delimiter && bytes[position] != CSVParser.newline {
                    position += 1
                }
                var end = position
                while end > field.start && isBlank(bytes[end - 1]) { end -= 1 }
                field.end = end
            }
            fields.append(field)
            if position < bytes.count && bytes[position] == delimiter {
                position += 1
                continue
            }
            if position < bytes.count {  // a newline
                position += 1
                line += 1
            }
            return recordLine
        }
    }

    /// The text of a field, with doubled quotes undone.
    private func text(of field: Field) -> String {
        let raw = String(decoding: UnsafeBufferPointer(rebasing: bytes[field.start..<field.end]), as: UTF8.self)
        return field.hasEscapedQuotes ? raw.replacingOccurrences(of: "\"\"", with: "\"") : raw
    }

    /// The finite number a field holds.
    private func number(in field: Field, line: Int, column: ColumnReference) throws -> Double {
        if field.start == field.end {
            throw DatasetError(file: source, line: line, reason: .emptyField(column: column))
        }
        if let integer = plainInteger(in: field) { return integer }
        let text = text(of: field)
        guard let value = Double(text) else {
            throw DatasetError(file: source, line: line, reason: .notANumber(column: column, text: text))
        }
        guard value.isFinite else {
            throw DatasetError(file: source, line: line, reason: .notFinite(column: column, text: text))
        }
        return value
    }

    /// The value of a field of the form `-?[0-9]{1,15}`, exactly; `nil` for anything else.
    private func plainInteger(in field: Field) -> Double? {
        var index = field.start
        let negative = bytes[index] == UInt8(ascii: "-")
        if negative { index += 1 }
        let digitCount = field.end - index
        guard digitCount > 0 && digitCount <= 15 else { return nil }
        var value: Int64 = 0
        while index < field.end {
            let digit = bytes[index] &- UInt8(ascii: "0")
            guard digit < 10 else { return nil }
            value = value * 10 + Int64(digit)
            index += 1
        }
        return negative ? -Double(value) : Double(value)
    }
}

extension String {
    /// Every occurrence of `target` replaced, without Foundation.
    fileprivate func replacingOccurrences(of target: String, with replacement: String) -> String {
        var result = ""
        var rest = self[...]
        while let range = rest.firstRange(of: target) {
            result += rest[..<range.lowerBound]
            result += replacement
            rest = rest[range.upperBound...]
        }
        return result + rest
    }
}
