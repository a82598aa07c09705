import Foundation
import _TestSupport
import Reports
import Testing

@Suite("CSVWriter writes RFC 4180 tables")
struct CSVWriterTests {
    @Test func numbersAndHeader() throws {
        var table = CSVWriter(header: ["epoch", "loss"])
        try table.append([.int(1), .double(0.5)])
        try table.append([2, 0.25])
        try table.append([3.0, 1e-5])
        try table.append([.int(4), .float(0.1)])
        #expect(table.rendered() == "epoch,loss\n1,0.5\n2,0.25\n3.0,1e-05\n4,0.1\n")
    }

    @Test(arguments: [
        ("plain", "plain"), ("a,b", "\"a,b\""), ("say \"hi\"", "\"say \"\"hi\"\"\""), ("two\nlines", "\"two\nlines\""),
        (" padded", "\" padded\""), ("", ""),
    ])
    func fieldsAreQuotedOnlyWhenNeeded(field: String, written: String) throws {
        var table = CSVWriter(header: ["x"])
        try table.append([.text(field)])
        #expect(table.rendered() == "x\n\(written)\n")
    }

    @Test func nonFiniteNumbersUseNumPyNames() throws {
        var table = CSVWriter(header: ["a", "b", "c"])
        try table.append(numbers: [.nan, .infinity, -.infinity])
        #expect(table.rendered().hasSuffix("\nnan,inf,-inf\n"))
    }

    @Test func rowWidthMustMatchHeader() throws {
        var table = CSVWriter(header: ["epoch", "loss", "accuracy"])
        try table.append([1, 0.5, 0.9])
        let error = try #require(throws: ReportError.self) { try table.append([2, 0.4]) }
        #expect(error.description == "CSV row 2 has 2 fields but the header has 3 (epoch, loss, accuracy)")
        #expect(table.rows.count == 1)
    }

    @Test func writesAtomically() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        var table = CSVWriter(header: ["workers", "speedup"])
        try table.append(numbers: [1, 1])
        try table.write(to: directory.path + "/scaling.csv")
        #expect(try directory.read("scaling.csv") == "workers,speedup\n1.0,1.0\n")
    }
}

@Suite("CSVWriter.line streams rows as the table writes them")
struct CSVLineTests {
    @Test func aStreamedFileReadsTheSameAsOneWrittenWhole() throws {
        var table = CSVWriter(header: ["name", "value", "note"])
        let rows: [[CSVField]] = [["a", .float(0.5), ""], ["b, c", .int(3), "say \"hi\""], [" d", .double(.nan), .float(-.infinity)]]
        for row in rows { try table.append(row) }
        let streamed = CSVWriter.line(["name", "value", "note"]) + rows.map(CSVWriter.line).joined()
        #expect(streamed == table.rendered())
    }
}
