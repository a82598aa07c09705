import Autograd
import _TestSupport
import Foundation
import Testing
@testable import Datasets

/// Input a CSV file should not have but may: numbers in other spellings or out of `Float`'s
/// range, labels no model should be built for, a byte order mark, files that are not files;
/// and input split into chunks anywhere, which must read as if whole.
@Suite struct CSVHostileInputTests {
    @Test func aByteOrderMarkIsNotPartOfTheFirstName() throws {
        let scratch = try TemporaryDirectory(prefix: "DatasetsTests")
        defer { scratch.remove() }
        let data = try Dataset.parseCSV("\u{FEFF}x,y\n1,2\n", hasHeader: true, labelColumn: "x")
        #expect(data.featureNames == ["y"])
        let bytes: [UInt8] = [0xEF, 0xBB, 0xBF] + Array("a,b\n3,4\n".utf8)
        let path = try scratch.write("bom.csv", bytes: bytes)
        let file = try Dataset.loadCSV(path: path, hasHeader: true, labelColumn: "b")
        #expect(file.featureNames == ["a"])
        #expect(file.features.scalars == [3])
    }

    @Test(arguments: ["0x10", "0X1p4", "1_000", "--1", "1e", ".", "e5", "+", "1.5.2"])
    func onlyDecimalSpellingsAreNumbers(text: String) {
        #expect(
            message { try Dataset.parseCSV("x,y\n1,2\n3,\(text)\n", source: "h.csv", hasHeader: true) }
                == "h.csv:3, column 'y': '\(text)' is not a number")
    }

    @Test func decimalSpellingsAreRead() throws {
        let data = try Dataset.parseCSV("x,y\n+1.5,.5\n-2.,1e-3\n3E+2,-0\n", hasHeader: true)
        #expect(data.features.scalars == [1.5, -2, 300])
        #expect(data.targets.scalars == [0.5, 0.001, 0])
    }

    @Test func aNumberBeyondFloatIsRefusedWhereItIs() {
        // Finite as a Double, infinite as the Float it is stored as: the standardiser crashed on
        // it, and as a target it trained to NaN.
        #expect(
            message { try Dataset.parseCSV("x,y\n1,2\n1e39,3\n", source: "f.csv", hasHeader: true) }
                == "f.csv:3, column 'x': '1e39' is not a finite 32-bit float; expected a number within ±3.4028235e+38")
        #expect(
            message { try Dataset.parseCSV("x,y\n1,-1e39\n", source: "f.csv", hasHeader: true) }
                == "f.csv:2, column 'y': '-1e39' is not a finite 32-bit float; expected a number within ±3.4028235e+38")
        // The largest Float is fine.
        #expect(message { try Dataset.parseCSV("x,y\n3.4028234e38,1\n", hasHeader: true) } == "no error")
    }

    @Test func classIndicesAreBoundedWhereTheyAre() {
        #expect(
            message { try Dataset.parseCSV("x,label\n1,0\n2,9999999\n", source: "c.csv", hasHeader: true, labels: .classIndices, classLimit: 100_000) }
                == "c.csv:3, column 'label': '9999999' is not a class label; expected an integer in 0...99999")
        #expect(
            message { try Dataset.parseCSV("x,label\n1,16777216\n", source: "c.csv", hasHeader: true, labels: .classIndices) }
                == "c.csv:2, column 'label': '16777216' is not a class label; expected an integer in 0...16777215")
    }

    @Test func distinctLabelsAreBoundedInNumber() {
        #expect(
            message { try Dataset.parseCSV("x,label\n1,a\n2,b\n3,c\n4,a\n", source: "c.csv", hasHeader: true, labels: .classes, classLimit: 2) }
                == "c.csv:4, column 'label': more than 2 distinct labels; expected at most 2 classes, or read the column as regression targets")
    }

    @Test func aDigitsFileWithLabelTenIsAnErrorNotACrash() throws {
        let scratch = try TemporaryDirectory(prefix: "DatasetsTests")
        defer { scratch.remove() }
        var rows = Array(repeating: Array(repeating: "0", count: 64).joined(separator: ",") + ",3", count: 4)
        rows[2] = Array(repeating: "0", count: 64).joined(separator: ",") + ",10"
        let path = try scratch.write("digits.csv", bytes: rows.joined(separator: "\n").utf8)
        #expect(message { try Dataset.digits(path: path) } == "\(path):3, column index 64: '10' is not a class label; expected an integer in 0...9")
    }

    @Test func aFileWithOnlyTheLabelColumnHasNoFeatures() {
        #expect(
            message { try Dataset.parseCSV("y\n1\n2\n", source: "one.csv", hasHeader: true) }
                == "one.csv: the only column is the label, column 'y'; expected at least one feature column besides it")
    }

    @Test func aFIFOOrAFileOverTheLimitIsRefusedWithoutReading() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let fifo = directory.path + "/data.csv"
        #expect(mkfifo(fifo, 0o644) == 0)
        #expect(message { try Dataset.loadCSV(path: fifo) } == "cannot read data file '\(fifo)': it is a FIFO, not a regular file")
        let path = try directory.write("small.csv", "x,y\n1,2\n")
        #expect(
            message { try Dataset.loadCSV(path: path, maximumFileBytes: 4) }
                == "cannot read data file '\(path)': it is 8 bytes, more than the limit of 4")
    }

    /// Text whose records cross any chunk boundary: quoted fields with delimiters, doubled
    /// quotes and line breaks, blank lines, `\r\n`, spaces.
    private static let awkward = "\u{FEFF}name,x,\"y\"\r\n\"a, \"\"b\"\"\nc\",1.5,2\n\n  d ,  -3e-1 ,\"4\"\r\n\"\",5,6"

    @Test(arguments: 1...9)
    func inputInChunksOfAnySizeReadsAsWhole(chunkSize: Int) throws {
        let whole = try Dataset.parseCSV(Self.awkward, hasHeader: true, featureColumns: ["x"])
        var reader = CSVReader(source: "<chunks>", hasHeader: true, labels: .numbers) { _, _ in [1, 2] }
        let bytes = Array(Self.awkward.utf8)
        for start in stride(from: 0, to: bytes.count, by: chunkSize) {
            try bytes[start..<min(start + chunkSize, bytes.count)].withUnsafeBufferPointer { try reader.consume($0) }
        }
        var table = try reader.finish()
        #expect(table.rowCount == 3)
        #expect(table.header == ["name", "x", "y"])
        let features = Tensor(shape: [table.rowCount, 1]) { table.features.move(to: $0) }
        #expect(features.scalars == whole.features.scalars)
        #expect(table.labels == whole.targets.scalars)
        #expect(whole.features.scalars == [1.5, -0.3, 5])
    }

    /// A record far longer than a chunk is scanned again only when its buffered bytes have
    /// doubled: a few dozen scans for a field of 1 MB arriving 64 bytes at a time, not one per
    /// chunk (16 384), whose bytes scanned would grow as the square of the record's length.
    @Test func aRecordLongerThanManyChunksIsScannedAFewTimes() throws {
        let field = String(repeating: "n", count: 1 << 20)
        let text = "name,x,y\n\(field),1,2\nb,3,4\n"
        var reader = CSVReader(source: "<long>", hasHeader: true, labels: .numbers) { _, _ in [1, 2] }
        let bytes = Array(text.utf8)
        for start in stride(from: 0, to: bytes.count, by: 64) {
            try bytes[start..<min(start + 64, bytes.count)].withUnsafeBufferPointer { try reader.consume($0) }
        }
        var table = try reader.finish()
        #expect(table.rowCount == 2)
        let features = Tensor(shape: [table.rowCount, 1]) { table.features.move(to: $0) }
        #expect(features.scalars == [1, 3])
        #expect(reader.recordScans < 40, "\(reader.recordScans) scans")
    }

    /// `text` as `e.csv` with a header, its columns 1 and 2 read, given to the reader in chunks
    /// of `chunkSize` bytes.
    private static func readInChunks(_ text: String, chunkSize: Int, valueLimit: (count: Int, memory: String)? = nil) throws -> CSVTable {
        var reader = CSVReader(source: "e.csv", hasHeader: true, labels: .numbers, valueLimit: valueLimit) { _, _ in [1, 2] }
        let bytes = Array(text.utf8)
        for start in stride(from: 0, to: bytes.count, by: chunkSize) {
            try bytes[start..<min(start + chunkSize, bytes.count)].withUnsafeBufferPointer { try reader.consume($0) }
        }
        return try reader.finish()
    }

    @Test(arguments: [1, 2, 5])
    func errorsNameTheSameLineWhateverTheChunks(chunkSize: Int) throws {
        let text = "note,x,y\nplain,1,2\n\"two\nlines\",3,4\nlast,5,abc\n"
        let error = try #require(throws: DatasetError.self) { try Self.readInChunks(text, chunkSize: chunkSize) }
        #expect(error.description == "e.csv:5, column 'y': 'abc' is not a number")
    }

    /// A row wider than the first, arriving in chunks that cut it anywhere (so that it is
    /// scanned again as it grows), keeps the first's count of fields and counts the rest: the
    /// message has the exact count. A first row past the field limit stops where it passes it,
    /// in any chunks.
    @Test(arguments: [1, 3, 7, 64])
    func aWideRowIsCountedExactlyInChunksOfAnySize(chunkSize: Int) throws {
        let text = "note,x,y\nplain,1,2\n" + String(repeating: "1,", count: 999) + "1\nlast,5,6\n"
        let error = try #require(throws: DatasetError.self) { try Self.readInChunks(text, chunkSize: chunkSize) }
        #expect(error.description == "e.csv:3: expected 3 fields, found 1000")
        // 1200 bytes hold 100 values, 9 columns with a header (11 values each).
        let wideHeader = (0..<10).map { "c\($0)" }.joined(separator: ",") + "\n" + String(repeating: "1,", count: 9) + "1\n"
        let refused = try #require(throws: DatasetError.self) {
            try Self.readInChunks(wideHeader, chunkSize: chunkSize, valueLimit: (100, "1200 bytes"))
        }
        #expect(refused.description == "e.csv:1: the first row has more than 9 fields, more than 1200 bytes holds while the file is read; use a file with fewer columns, or more memory")
    }

    /// `\r` line ends, alone and before `\n`, split at every chunk boundary: a `\r` that ends
    /// a chunk may yet be the start of `\r\n`. Line numbers count each line end once, inside
    /// a quoted field too.
    @Test(arguments: [1, 2, 3, 5])
    func carriageReturnLineEndsReadAlikeInChunksOfAnySize(chunkSize: Int) throws {
        let text = "note,x,y\r\nplain,1,2\r\"two\rlines\r\nhere\",3,4\r\r\nlast,5,abc\r"
        let error = try #require(throws: DatasetError.self) { try Self.readInChunks(text, chunkSize: chunkSize) }
        #expect(error.description == "e.csv:7, column 'y': 'abc' is not a number")

        let table = try Self.readInChunks(text.replacingOccurrences(of: "abc", with: "6"), chunkSize: chunkSize)
        #expect(table.rowCount == 3)
        #expect(table.labels == [2, 4, 6])
    }

    @Test func aFileLargerThanAChunkReadsAsTheSameText() throws {
        let scratch = try TemporaryDirectory(prefix: "DatasetsTests")
        defer { scratch.remove() }
        // About 3 MiB, so the file arrives in several 1 MiB chunks; quoted multi-line fields
        // land on the boundaries somewhere.
        var text = "id,note,value\n"
        for row in 0..<60_000 {
            text += "\(row),\"line one\nline \"\"two\"\", \(row)\",\(Float(row) * 0.25)\n"
        }
        let path = try scratch.write("large.csv", bytes: text.utf8)
        let loaded = try Dataset.loadCSV(path: path, hasHeader: true, featureColumns: ["id"])
        let parsed = try Dataset.parseCSV(text, hasHeader: true, featureColumns: ["id"])
        #expect(loaded.count == 60_000)
        #expect(loaded.features.scalars == parsed.features.scalars)
        #expect(loaded.targets.scalars == parsed.targets.scalars)
    }

    @Test func aBatchAsLargeAsAnIntIsTheWholeData() throws {
        let data = try Dataset.parseCSV("x,y\n1,2\n3,4\n5,6\n", hasHeader: true)
        let batches = data.batches(size: Int.max)
        #expect(batches.count == 1)
        #expect(Array(batches.indices(ofBatch: 0)) == [0, 1, 2])
    }
}
