import Storage
import Foundation

/// One cell of a CSV table.
///
/// Numbers print with the shortest decimal that reads back exactly; NaN and infinity print as
/// `nan`, `inf` and `-inf`, which pandas and NumPy read back.
public enum CSVField: Sendable, Equatable, ExpressibleByStringLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByFloatLiteral
{
    case text(String)
    case int(Int)
    case double(Double)
    case float(Float)

    public init(stringLiteral value: String) { self = .text(value) }
    public init(integerLiteral value: Int) { self = .int(value) }
    public init(floatLiteral value: Double) { self = .double(value) }

    /// The cell as written, before quoting.
    var text: String {
        switch self {
        case .text(let value): value
        case .int(let value): String(value)
        case .double(let value): value.description
        case .float(let value): value.description
        }
    }
}

/// A CSV table with a header, written with RFC 4180 quoting and `\n` line endings.
///
/// A field is quoted when it holds a comma, a double quote, a line break, or leading or
/// trailing spaces; quotes inside are doubled.
///
/// ```swift
/// var table = CSVWriter(header: ["epoch", "loss"])
/// try table.append([.int(1), .double(0.5)])
/// try table.append([2, 0.25])
/// try table.write(to: "out/loss.csv")   // epoch,loss\n1,0.5\n2,0.25\n
/// ```
public struct CSVWriter: Sendable {
    /// The column names.
    public let header: [String]
    /// The data rows as written, before quoting.
    public private(set) var rows: [[String]] = []

    /// Creates an empty table.
    ///
    /// - Parameter header: the column names.
    public init(header: [String]) {
        self.header = header
    }

    /// Appends a row.
    ///
    /// - Parameter fields: one field per column.
    /// - Throws: `ReportError` if the row's width differs from the header's.
    public mutating func append(_ fields: [CSVField]) throws {
        guard fields.count == header.count else {
            throw ReportError(
                "CSV row \(rows.count + 1) has \(fields.count) fields but the header has \(header.count) "
                    + "(\(header.joined(separator: ", ")))")
        }
        rows.append(fields.map(\.text))
    }

    /// Appends a row of numbers.
    ///
    /// - Parameter numbers: one number per column.
    /// - Throws: `ReportError` if the row's width differs from the header's.
    ///
    /// ```swift
    /// try table.append(numbers: [Double(workers), speedup])
    /// ```
    public mutating func append(numbers values: [Double]) throws {
        try append(values.map { .double($0) })
    }

    /// The table as CSV text, ending in a newline.
    public func rendered() -> String {
        var output = ""
        for row in [header] + rows {
            output += row.map(Self.quotedIfNeeded).joined(separator: ",")
            output += "\n"
        }
        return output
    }

    /// Writes the table atomically.
    ///
    /// - Parameter path: the destination; its directory must exist.
    /// - Throws: `FileError` from `AtomicFile`.
    public func write(to path: String) throws {
        try AtomicFile.write(rendered(), to: path)
    }

    /// One row as CSV text, quoted as ``rendered()`` quotes it and ending in a newline: for a
    /// file streamed a row at a time, which must read the same as one written whole.
    ///
    /// ```swift
    /// CSVWriter.line(["step", "loss"])   // step,loss\n
    /// CSVWriter.line([.int(3), .float(0.5), ""])   // 3,0.5,\n
    /// ```
    public static func line(_ fields: [CSVField]) -> String {
        var line = ""
        line.reserveCapacity(16 * fields.count)
        for (index, field) in fields.enumerated() {
            if index > 0 { line += "," }
            line += quotedIfNeeded(field.text)
        }
        return line + "\n"
    }

    static func quotedIfNeeded(_ field: String) -> String {
        // Bytes, not characters: a metrics file writes a dozen fields a step.
        let utf8 = field.utf8
        let needsQuotes = utf8.contains { $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\n") || $0 == UInt8(ascii: "\r") }
            || utf8.first == UInt8(ascii: " ") || utf8.last == UInt8(ascii: " ")
        guard needsQuotes else { return field }
        return "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
