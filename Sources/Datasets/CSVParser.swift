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

/// The numbers of the selected columns of a CSV file, with the header when it has one.
struct CSVTable {
    var header: [String]?
    /// Indices of the selected columns in the file: the features in the order stored, then the
    /// label.
    var selected: [Int]
    /// `rowCount × (selected.count − 1)` feature values, row-major, in blocks.
    var features = FloatBlocks()
    /// One label per row.
    var labels: [Float] = []
    /// The data rows read (blank lines and the header not counted).
    var rowCount = 0
    /// For labels read as distinct classes: the label of each class, in class order; `labels`
    /// then holds class indices.
    var classNames: [String]?
    /// Whether every feature field of the header row is a number: the file probably has no
    /// header, and its first example was taken for one.
    var headerLooksLikeData = false
}

/// How a ``CSVReader`` reads the label column.
enum CSVLabelReading: Equatable {
    /// Finite numbers, stored as they are.
    case numbers
    /// Integers in `0..<limit`, used as class indices as they are (the digits format).
    case classIndices(limit: Int)
    /// Any text; the distinct labels become the classes, numbered in sorted order: numerically
    /// when every label is an integer, else by their UTF-8 bytes. At most `limit` of them.
    case distinctClasses(limit: Int)
}

/// Floats appended in fixed-size blocks, so that growing never copies what is already stored
/// and the peak memory of loading is the values once plus one block (an array that doubles
/// would briefly hold them one and a half times, and its slack stays).
struct FloatBlocks {
    static let blockSize = 1 << 16
    private var blocks: [[Float]] = []
    private(set) var count = 0

    mutating func append(_ value: Float) {
        if count % Self.blockSize == 0 {
            var block: [Float] = []
            block.reserveCapacity(Self.blockSize)
            blocks.append(block)
        }
        blocks[blocks.count - 1].append(value)
        count += 1
    }

    /// Copies every value, in order, to `target`, which holds at least ``count`` floats, and
    /// empties the blocks as it goes.
    mutating func move(to target: UnsafeMutableBufferPointer<Float>) {
        var offset = 0
        for index in blocks.indices {
            let block = blocks[index]
            _ = UnsafeMutableBufferPointer(rebasing: target[offset..<(offset + block.count)]).initialize(from: block)
            offset += block.count
            blocks[index] = []
        }
        blocks = []
        count = 0
    }
}

/// A byte-level CSV reader that takes its input in chunks: comma (or another one-byte)
/// delimited, spaces and tabs around fields ignored, blank lines skipped, `\n`, `\r\n` or `\r`
/// line ends (as Python's `csv` module reads them), a UTF-8 byte order mark at the start
/// skipped, and RFC 4180 quoted fields (a quoted field may hold delimiters, line breaks and
/// doubled quotes `""`).
///
/// Only the selected columns are parsed as numbers; the others may hold any text. A number is
/// written in decimal: an optional sign, digits with an optional decimal point, and an optional
/// exponent (`-1.5e-3`); spellings `Double(_:)` also takes (`0x10`, `inf`, `nan`) are refused.
/// Each must be finite as the 32-bit float it is stored as. Plain integers (as in the digits
/// file) are parsed straight from the bytes, other numbers by the standard library's correctly
/// rounded `Double(_:)`, so a 1797 × 65 file takes milliseconds.
///
/// Memory: the reader keeps the unread rest of the input (one chunk, or one record longer than
/// that) and the selected values as `Float`s, never the whole file.
struct CSVReader {
    /// The most classes by default: class indices are stored as `Float` targets too, which
    /// hold every integer below 2²⁴ exactly.
    static let classLabelLimit = 1 << 24

    private let source: String
    private let hasHeader: Bool
    private let delimiter: UInt8
    private let labelReading: CSVLabelReading
    private let select: ([String]?, Int) throws -> [Int]
    /// The most values (features and labels) the table may hold, and the memory that limit
    /// comes from, for the message.
    private let valueLimit: (count: Int, memory: String)?
    /// What the text the reader keeps takes (the header's names, the distinct class labels), in
    /// values' worth of memory: a label of 50 000 bytes weighs as much as thousands of numbers.
    private var textValues = 0
    /// For ``CSVLabelReading/distinctClasses(limit:)``: each distinct label text, in the order
    /// first met, with its provisional index (stored in `table.labels` until ``finish()``
    /// renumbers them), its value when it is a number, and the line it was first met on.
    private var labelIndex: [String: Int] = [:]
    private var labelTexts: [(text: String, value: Double?, line: Int)] = []

    private let parser: CSVParser
    private var columnCount: Int?
    private(set) var table: CSVTable?

    /// - Parameters:
    ///   - source: the file name for messages.
    ///   - labels: how the label column (the last selected one) is read.
    ///   - select: given the header (when `hasHeader`) and the number of fields in the first
    ///     row, returns the column indices to keep (the features, then the label), or throws.
    init(
        source: String, hasHeader: Bool, delimiter: UInt8 = UInt8(ascii: ","), labels: CSVLabelReading,
        valueLimit: (count: Int, memory: String)? = nil, select: @escaping ([String]?, Int) throws -> [Int]
    ) {
        self.source = source
        self.valueLimit = valueLimit
        self.hasHeader = hasHeader
        self.delimiter = delimiter
        self.labelReading = labels
        self.select = select
        parser = CSVParser(source: source, delimiter: delimiter)
        let fieldBytes = hasHeader ? Self.bytesPerHeaderField : Self.bytesPerField
        valuesPerField = (fieldBytes + Dataset.bytesPerValueLoaded - 1) / Dataset.bytesPerValueLoaded
        if let valueLimit {
            let limit = Swift.max(1, valueLimit.count / valuesPerField)
            parser.fieldLimit = (limit, .tooManyFields(limit: limit, memory: valueLimit.memory))
        }
    }

    /// What a column takes while the file is read: its field's place in the parser's list of a
    /// record's fields (24 bytes, which may double as the list grows, and which the list keeps
    /// for every later record) and its index among the columns picked.
    private static let bytesPerField = 64
    /// What a column of a file with a header takes: as ``bytesPerField``, and its name with the
    /// copies of the names made to pick the columns.
    private static let bytesPerHeaderField = 128
    /// ``bytesPerField`` or ``bytesPerHeaderField``, in values of ``Dataset/bytesPerValueLoaded``
    /// bytes, rounded up: what each column of the first record counts against the value limit,
    /// while it is read (the record stops at the field that passes the limit) and after, beside
    /// the values.
    private let valuesPerField: Int

    /// Times a record has been scanned from its start; a record longer than a chunk is scanned
    /// more than once.
    var recordScans: Int { parser.scans }

    /// Takes the next chunk of the input and reads every record it completes.
    mutating func consume(_ chunk: UnsafeBufferPointer<UInt8>) throws {
        parser.append(chunk)
        try readRecords()
        // A record not yet complete is buffered whole: one long field weighs as its bytes.
        try checkMemory(line: parser.currentLine, pending: parser.pendingByteCount)
    }

    /// Refuses the input once what it keeps, and `pending` bytes of a record being buffered,
    /// would pass the value limit: numbers at their own count, text at
    /// ``values(ofText:copies:)``.
    private func checkMemory(line: Int, pending: Int) throws {
        guard let valueLimit else { return }
        let kept = (table?.features.count ?? 0) + (table?.labels.count ?? 0) + textValues
        // The buffer may double as it grows, and a field's text is copied once it is read.
        let buffered = pending > 0 ? Self.values(ofText: pending, copies: 4) : 0
        if kept + buffered > valueLimit.count {
            throw DatasetError(file: source, line: line, reason: .tooManyValues(limit: valueLimit.count, memory: valueLimit.memory))
        }
    }

    /// `bytes` of text held `copies` times, each with a string's overhead, in values of
    /// ``Dataset/bytesPerValueLoaded`` bytes.
    private static func values(ofText bytes: Int, copies: Int) -> Int {
        copies * (bytes + 32) / Dataset.bytesPerValueLoaded + 1
    }

    /// Reads what is left at the end of the input and returns the table.
    ///
    /// - Throws: ``DatasetError`` for an empty file or a header without rows.
    mutating func finish() throws -> CSVTable {
        parser.isFinal = true
        try readRecords()
        guard columnCount != nil else { throw DatasetError(file: source, reason: .emptyFile) }
        guard var table, table.rowCount > 0 else { throw DatasetError(file: source, reason: .noDataRows) }
        if case .distinctClasses = labelReading {
            let (names, classOf) = try classNumbering(column: table.selected.last!, header: table.header)
            table.classNames = names
            table.labels = table.labels.map { Float(classOf[Int($0)]) }
        }
        return table
    }

    /// The classes of the distinct labels met: their names in class order, and the class of
    /// each provisional index. Integer labels are sorted numerically and named by their value
    /// (`1`, `1.0` and `+1` are one class, named `1`); if any label is not a number, all are
    /// text, sorted by their UTF-8 bytes.
    ///
    /// - Throws: ``DatasetError`` when every label is a number but one is not an integer (a
    ///   quantity to regress, not a class).
    private func classNumbering(column: Int, header: [String]?) throws -> (names: [String], classOf: [Int]) {
        let reference = ColumnReference(index: column, name: header?[column])
        if labelTexts.allSatisfy({ $0.value != nil }) {
            // Integers up to 2⁵³ are exact as doubles; beyond that two labels could merge.
            if let bad = labelTexts.first(where: { $0.value! != $0.value!.rounded() }) {
                throw DatasetError(file: source, line: bad.line, reason: .fractionalClassLabel(column: reference, text: bad.text))
            }
            if let bad = labelTexts.first(where: { Swift.abs($0.value!) >= 0x1p53 }) {
                throw DatasetError(file: source, line: bad.line, reason: .classLabelBeyondExactIntegers(column: reference, text: bad.text))
            }
            let values = Set(labelTexts.map { Int($0.value!) }).sorted()
            let classOfValue = Dictionary(uniqueKeysWithValues: values.enumerated().map { ($1, $0) })
            return (values.map(String.init), labelTexts.map { classOfValue[Int($0.value!)]! })
        }
        let names = labelTexts.map(\.text).sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        let classOfName = Dictionary(uniqueKeysWithValues: names.enumerated().map { ($1, $0) })
        return (names, labelTexts.map { classOfName[$0.text]! })
    }

    private mutating func readRecords() throws {
        while let line = try parser.nextRecord() {
            if columnCount == nil {
                let count = parser.fieldCount
                columnCount = count
                // Every later record has this many fields; one with more is counted, not kept.
                parser.fieldLimit = (count, nil)
                // The columns' places share the limit with the values.
                textValues += count * valuesPerField
                let header = hasHeader
                    ? try (0..<count).map { try parser.validText(ofField: $0, line: line, column: ColumnReference(index: $0, name: nil)) } : nil
                table = CSVTable(header: header, selected: try select(header, count))
                textValues += header.map { Self.values(ofText: $0.reduce(0) { $0 + $1.utf8.count }, copies: 2) } ?? 0
                if hasHeader {
                    // A header names its columns; one whose feature fields are all numbers is
                    // likelier the first example (its label may be text).
                    table!.headerLooksLikeData = table!.selected.dropLast().allSatisfy {
                        (try? parser.number(inField: $0, line: line, column: ColumnReference(index: $0, name: nil))) != nil
                    }
                    continue
                }
            }
            try store(line: line)
        }
    }

    private mutating func store(line: Int) throws {
        let columnCount = columnCount!
        guard parser.fieldCount == columnCount else {
            throw DatasetError(file: source, line: line, reason: .raggedRow(expected: columnCount, found: parser.fieldCount))
        }
        let header = table!.header
        func reference(_ index: Int) -> ColumnReference { ColumnReference(index: index, name: header?[index]) }
        let selected = table!.selected
        for (position, column) in selected.enumerated() {
            let isLabel = position == selected.count - 1
            if isLabel, case .distinctClasses(let limit) = labelReading {
                table!.labels.append(Float(try distinctLabel(inField: column, line: line, column: reference(column), limit: limit)))
                continue
            }
            let value = try parser.number(inField: column, line: line, column: reference(column))
            if isLabel, case .classIndices(let classLimit) = labelReading {
                guard value >= 0 && value == value.rounded() else {
                    throw DatasetError(file: source, line: line, reason: .notAClassLabel(column: reference(column), text: parser.text(ofField: column)))
                }
                guard value < Double(classLimit) else {
                    throw DatasetError(
                        file: source, line: line,
                        reason: .classLabelTooLarge(column: reference(column), text: parser.text(ofField: column), limit: classLimit))
                }
            }
            let single = Float(value)
            guard single.isFinite else {
                throw DatasetError(file: source, line: line, reason: .outsideFloatRange(column: reference(column), text: parser.text(ofField: column)))
            }
            if isLabel { table!.labels.append(single) } else { table!.features.append(single) }
        }
        table!.rowCount += 1
        try checkMemory(line: line, pending: 0)
    }

    /// The provisional index of the label in field `field`, numbering a label not met before.
    /// A provisional index is below 2²⁴, so it is exact as the `Float` it is stored as.
    private mutating func distinctLabel(inField field: Int, line: Int, column: ColumnReference, limit: Int) throws -> Int {
        let text = try parser.validText(ofField: field, line: line, column: column)
        if let index = labelIndex[text] { return index }
        guard !text.isEmpty else { throw DatasetError(file: source, line: line, reason: .emptyClassLabel(column: column)) }
        guard labelTexts.count < Swift.min(limit, Self.classLabelLimit) else {
            throw DatasetError(file: source, line: line, reason: .tooManyClasses(column: column, limit: Swift.min(limit, Self.classLabelLimit)))
        }
        let value = try? parser.number(inField: field, line: line, column: column)
        labelIndex[text] = labelTexts.count
        labelTexts.append((text, value, line))
        // The text is kept twice (the index and the list) and again as a class name, each with
        // a string's overhead; counted in values of ``Dataset/bytesPerValueLoaded`` bytes.
        textValues += Self.values(ofText: text.utf8.count, copies: 3)
        return labelTexts.count - 1
    }
}

/// The record-level part of ``CSVReader``: splits buffered bytes into records and fields.
///
/// Input arrives with ``append(_:)``; ``nextRecord()`` returns `nil` when the buffer holds no
/// complete record yet (or, once ``isFinal`` is set, at the end). A record cut by the end of the
/// buffer is read again from its start once its buffered bytes have doubled (or the input has
/// ended): a record of n bytes arriving in chunks of c is then scanned in O(n) in all, not
/// O(n²/c) as it would be if each chunk started the scan again.
private final class CSVParser {
    private struct Field {
        var start: Int
        var end: Int
        var hasEscapedQuotes: Bool
    }

    /// Thrown inside a record that runs past the buffered bytes before the input's end.
    private struct NeedMoreInput: Error {}

    /// The buffered input, in memory the parser manages itself so that it reads it through an
    /// unsafe buffer (an array's checked subscript made debug builds several times slower).
    private var base = UnsafeMutablePointer<UInt8>.allocate(capacity: 1)
    private var capacity = 1
    /// The buffered bytes: `base` up to the bytes in use.
    private var bytes = UnsafeBufferPointer<UInt8>(start: nil, count: 0)
    private let source: String
    private let delimiter: UInt8
    private var position = 0
    /// The line the reader is on, counting from 1.
    private var line = 1
    private var fields: [Field] = []
    private var checkedByteOrderMark = false
    /// Records scanned from their start, read whole or cut by the end of the buffer.
    private(set) var scans = 0
    /// The pending bytes below which a record cut by the end of the buffer is not read again:
    /// twice what the last attempt had, 0 once a record has been read.
    private var retryThreshold = 0
    /// Set once the last chunk has been appended.
    var isFinal = false

    private static let quote = UInt8(ascii: "\"")
    private static let newline = UInt8(ascii: "\n")
    private static let carriageReturn = UInt8(ascii: "\r")
    private static let byteOrderMark: [UInt8] = [0xEF, 0xBB, 0xBF]

    init(source: String, delimiter: UInt8) {
        self.source = source
        self.delimiter = delimiter
    }

    /// The fields of the current record: those kept, and those past ``fieldLimit`` counted.
    var fieldCount: Int { fields.count + fieldsPastLimit }
    /// The most fields a record keeps, and the error a record with more throws at once, at the
    /// first field past the limit; with no error, the fields past the limit are only counted
    /// (``fieldCount``), so that a record far longer than the others costs no memory for them.
    var fieldLimit: (count: Int, error: DatasetError.Reason?) = (Int.max, nil)
    private var fieldsPastLimit = 0
    /// The bytes buffered past the records already read: the record being read, in part.
    var pendingByteCount: Int { bytes.count - position }
    /// The line the reader has reached.
    var currentLine: Int { line }

    deinit { base.deallocate() }

    /// Adds input after what is buffered, dropping the records already read.
    func append(_ chunk: UnsafeBufferPointer<UInt8>) {
        var count = bytes.count - position
        if position > 0 { base.update(from: base + position, count: count) }
        position = 0
        if count + chunk.count > capacity {
            let newCapacity = Swift.max(count + chunk.count, 2 * capacity)
            let newBase = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
            newBase.initialize(from: base, count: count)
            base.deallocate()
            (base, capacity) = (newBase, newCapacity)
        }
        if let start = chunk.baseAddress { (base + count).initialize(from: start, count: chunk.count) }
        count += chunk.count
        bytes = UnsafeBufferPointer(start: base, count: count)
    }

    private static func isBlank(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t")
    }

    private static func isLineEnd(_ byte: UInt8) -> Bool {
        byte == newline || byte == carriageReturn
    }

    /// Reads the next record that is not a blank line into the fields and returns the line it
    /// starts on, or `nil` when the buffered input holds no further complete record.
    func nextRecord() throws -> Int? {
        if !checkedByteOrderMark {
            if bytes.count < 3 && !isFinal { return nil }
            if bytes.starts(with: Self.byteOrderMark) { position = 3 }
            checkedByteOrderMark = true
        }
        if !isFinal && pendingByteCount < retryThreshold { return nil }
        scans += 1
        let (savedPosition, savedLine) = (position, line)
        do {
            let recordLine = try readRecord()
            retryThreshold = 0
            return recordLine
        } catch is NeedMoreInput {
            (position, line) = (savedPosition, savedLine)
            retryThreshold = 2 * pendingByteCount
            return nil
        }
    }

    private func readRecord() throws -> Int? {
        // On locals: each access to a class's stored property is checked for exclusivity at run
        // time, which made the per-byte loop several times slower.
        var (position, line, fields) = (self.position, self.line, self.fields)
        self.fields = []
        defer { self.fields = fields }
        var pastLimit = 0
        let recordLine = try Self.scanRecord(
            bytes: bytes, isFinal: isFinal, delimiter: delimiter, source: source, position: &position, line: &line,
            fields: &fields, limit: fieldLimit, pastLimit: &pastLimit)
        (self.position, self.line, self.fieldsPastLimit) = (position, line, pastLimit)
        return recordLine
    }

    private static func scanRecord(
        bytes: UnsafeBufferPointer<UInt8>, isFinal: Bool, delimiter: UInt8, source: String, position: inout Int,
        line: inout Int, fields: inout [Field], limit: (count: Int, error: DatasetError.Reason?), pastLimit: inout Int
    ) throws -> Int? {
        let count = bytes.count
        /// Whether `index` is the end of the input; throws ``NeedMoreInput`` at the end of the
        /// buffered bytes when more may come.
        func atEnd(_ index: Int) throws -> Bool {
            if index < count { return false }
            if isFinal { return true }
            throw NeedMoreInput()
        }
        /// The index after the line end at `index`: `\r\n` is one line end, as are `\n` and
        /// `\r` alone.
        func pastLineEnd(_ index: Int) throws -> Int {
            if bytes[index] == CSVParser.carriageReturn, try !atEnd(index + 1), bytes[index + 1] == CSVParser.newline {
                return index + 2
            }
            return index + 1
        }
        // Skip blank lines.
        while true {
            var probe = position
            while try !atEnd(probe) && isBlank(bytes[probe]) { probe += 1 }
            if try atEnd(probe) { position = probe; return nil }
            if isLineEnd(bytes[probe]) {
                position = try pastLineEnd(probe)
                line += 1
                continue
            }
            break
        }
        let recordLine = line
        fields.removeAll(keepingCapacity: true)
        while true {
            while try !atEnd(position) && isBlank(bytes[position]) { position += 1 }
            var field: Field
            if try !atEnd(position) && bytes[position] == CSVParser.quote {
                position += 1
                field = Field(start: position, end: position, hasEscapedQuotes: false)
                while true {
                    guard try !atEnd(position) else {
                        throw DatasetError(file: source, line: recordLine, reason: .unterminatedQuote)
                    }
                    let byte = bytes[position]
                    if byte == CSVParser.quote {
                        if try !atEnd(position + 1) && bytes[position + 1] == CSVParser.quote {
                            field.hasEscapedQuotes = true
                            position += 2
                            continue
                        }
                        field.end = position
                        position += 1
                        break
                    }
                    if isLineEnd(byte) {
                        position = try pastLineEnd(position)
                        line += 1
                    } else {
                        position += 1
                    }
                }
                while try !atEnd(position) && isBlank(bytes[position]) { position += 1 }
                if try !atEnd(position) && bytes[position] != delimiter && !isLineEnd(bytes[position]) {
                    throw DatasetError(file: source, line: line, reason: .textAfterClosingQuote(fieldIndex: fields.count + pastLimit))
                }
            } else {
                field = Field(start: position, end: position, hasEscapedQuotes: false)
                while try !atEnd(position) && bytes[position] != delimiter && !isLineEnd(bytes[position]) {
                    position += 1
                }
                var end = position
                while end > field.start && isBlank(bytes[end - 1]) { end -= 1 }
                field.end = end
            }
            if fields.count < limit.count {
                fields.append(field)
            } else if let error = limit.error {
                throw DatasetError(file: source, line: recordLine, reason: error)
            } else {
                pastLimit += 1
            }
            if try !atEnd(position) && bytes[position] == delimiter {
                position += 1
                continue
            }
            if position < bytes.count {  // a line end
                position = try pastLineEnd(position)
                line += 1
            }
            return recordLine
        }
    }

    /// The text of field `index` of the current record, with doubled quotes undone, for a
    /// message: bytes that are not UTF-8 read as U+FFFD.
    func text(ofField index: Int) -> String {
        let field = fields[index]
        return unquoted(String(decoding: UnsafeBufferPointer(rebasing: bytes[field.start..<field.end]), as: UTF8.self), field)
    }

    /// The text of field `index`, a name or a class label, which must be UTF-8: decoded with
    /// replacement characters, `caf\xE9` and `caf\xE8` would be one label.
    ///
    /// - Throws: `DatasetError` naming the line and column of a field that is not UTF-8.
    func validText(ofField index: Int, line: Int, column: ColumnReference) throws -> String {
        let field = fields[index]
        guard let raw = String(validating: UnsafeBufferPointer(rebasing: bytes[field.start..<field.end]), as: UTF8.self) else {
            throw DatasetError(file: source, line: line, reason: .notUTF8(column: column))
        }
        return unquoted(raw, field)
    }

    /// `raw`, the text of `field`, with its doubled quotes undone.
    private func unquoted(_ raw: String, _ field: Field) -> String {
        field.hasEscapedQuotes ? raw.replacingOccurrences(of: "\"\"", with: "\"") : raw
    }

    /// The finite number field `index` of the current record holds.
    ///
    /// - Throws: `DatasetError` naming the line and column of a field that is empty, not UTF-8,
    ///   not a number, or not finite.
    func number(inField index: Int, line: Int, column: ColumnReference) throws -> Double {
        let field = fields[index]
        if field.start == field.end {
            throw DatasetError(file: source, line: line, reason: .emptyField(column: column))
        }
        if let integer = plainInteger(in: field) { return integer }
        let text = text(ofField: index)
        guard !field.hasEscapedQuotes && isDecimalNumber(field), let value = Double(text) else {
            // Bytes that are not UTF-8 would show as U+FFFD: said for what they are, as in a name or label.
            _ = try validText(ofField: index, line: line, column: column)
            if Self.isNonFiniteSpelling(text) {
                throw DatasetError(file: source, line: line, reason: .notFinite(column: column, text: text))
            }
            throw DatasetError(file: source, line: line, reason: .notANumber(column: column, text: text))
        }
        guard value.isFinite else {
            // A decimal too large for a Double (1 followed by 400 zeros) is a range error, not a NaN.
            throw DatasetError(file: source, line: line, reason: .outsideFloatRange(column: column, text: text))
        }
        return value
    }

    /// The value of a field of the form `-?[0-9]{1,15}`, exactly; `nil` for anything else.
    private func plainInteger(in field: Field) -> Double? {
        let bytes = self.bytes
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

    /// Whether the field is a decimal number (``isDecimalNumber(_:from:to:)``).
    private func isDecimalNumber(_ field: Field) -> Bool {
        CSVReader.isDecimalNumber(bytes, from: field.start, to: field.end)
    }

    /// `nan`, `inf` or `infinity` in any case, with an optional sign.
    private static func isNonFiniteSpelling(_ text: String) -> Bool {
        var word = text.lowercased()
        if word.hasPrefix("+") || word.hasPrefix("-") { word.removeFirst() }
        return word == "nan" || word == "inf" || word == "infinity"
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

extension CSVReader {
    /// Whether `bytes[start..<end]` is a decimal number:
    /// `[+-]? (digits [. digits?] | . digits) ([eE] [+-]? digits)?`.
    static func isDecimalNumber(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int, to end: Int) -> Bool {
        var index = start
        func isDigit(_ index: Int) -> Bool { index < end && bytes[index] &- UInt8(ascii: "0") < 10 }
        func isSign(_ index: Int) -> Bool { index < end && (bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-")) }
        if isSign(index) { index += 1 }
        var digits = 0
        while isDigit(index) { digits += 1; index += 1 }
        if index < end && bytes[index] == UInt8(ascii: ".") {
            index += 1
            while isDigit(index) { digits += 1; index += 1 }
        }
        guard digits > 0 else { return false }
        if index < end && (bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E")) {
            index += 1
            if isSign(index) { index += 1 }
            let exponentStart = index
            while isDigit(index) { index += 1 }
            guard index > exponentStart else { return false }
        }
        return index == end
    }

    /// The finite value of `text` when it is a number as a data file's field is read (a decimal,
    /// blanks around it allowed); `nil` otherwise.
    static func decimalValue(of text: String) -> Double? {
        let trimmed = text.trimmingBlanks()
        let isNumber = Array(trimmed.utf8).withUnsafeBufferPointer { isDecimalNumber($0, from: 0, to: $0.count) }
        guard isNumber, let value = Double(trimmed), value.isFinite else { return nil }
        return value
    }
}
