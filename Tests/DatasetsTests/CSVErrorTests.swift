import Foundation
import _TestSupport
import Datasets
import Testing

@Test func missingFileNamesThePath() {
    let path = "/nonexistent/place/digits.csv"
    #expect(message { try Dataset.loadCSV(path: path) } == "/nonexistent/place/digits.csv: no such file; expected a CSV data file at this path")
    let error = #expect(throws: DatasetError.self) { try Dataset.digits(path: path) }
    #expect(error?.reason == .fileNotFound)
    #expect(error?.file == path)
}

@Test func directoryIsUnreadable() throws {
    let error = #expect(throws: DatasetError.self) { try Dataset.loadCSV(path: BundledData.directory) }
    #expect(error?.reason == .unreadable("it is a directory"))
}

@Test func emptyFileIsReported() throws {
    let scratch = try TemporaryDirectory(prefix: "DatasetsTests")
    defer { scratch.remove() }
    let path = try scratch.write("empty.csv", bytes: "".utf8)
    #expect(message { try Dataset.loadCSV(path: path) } == "\(path): the file is empty; expected rows of comma-separated numbers")
    let blank = try scratch.write("blank.csv", bytes: "\n  \n\r\n".utf8)
    #expect(message { try Dataset.loadCSV(path: blank) }.hasSuffix("blank.csv: the file is empty; expected rows of comma-separated numbers"))
    #expect(message { try Dataset.parseCSV("x,y\n\n", source: "h.csv", hasHeader: true) } == "h.csv: the header is followed by no data rows")
}

@Test func raggedRowNamesLineAndCounts() throws {
    var lines = Array(repeating: Array(repeating: "1", count: 65).joined(separator: ","), count: 20)
    lines[16] = Array(repeating: "1", count: 64).joined(separator: ",")
    let text = lines.joined(separator: "\n")
    #expect(message { try Dataset.parseCSV(text, source: "digits.csv") } == "digits.csv:17: expected 65 fields, found 64")
    // Lines are counted as an editor counts them: blank lines and the header included.
    let withBlank = "x,y\n1,2\n\n3,4,5\n"
    #expect(message { try Dataset.parseCSV(withBlank, source: "d.csv", hasHeader: true) } == "d.csv:4: expected 2 fields, found 3")
    // A trailing delimiter is one more (empty) field.
    #expect(message { try Dataset.parseCSV("1,2\n3,4,\n", source: "t.csv") } == "t.csv:2: expected 2 fields, found 3")
}

@Test func nonNumericFieldNamesLineAndColumn() {
    let text = "x,y\n1,2\nabc,3\n"
    #expect(message { try Dataset.parseCSV(text, source: "data.csv", hasHeader: true) } == "data.csv:3, column 'x': 'abc' is not a number")
    #expect(message { try Dataset.parseCSV("1,2\n1,2x\n", source: "n.csv") } == "n.csv:2, column index 1: '2x' is not a number")
    #expect(message { try Dataset.parseCSV("1,2\n1,\n", source: "e.csv") } == "e.csv:2, column index 1: the field is empty; expected a number")
    let error = #expect(throws: DatasetError.self) { try Dataset.parseCSV(text, source: "data.csv", hasHeader: true) }
    #expect(error?.line == 3)
    #expect(error?.reason == .notANumber(column: ColumnReference(index: 0, name: "x"), text: "abc"))
}

@Test func nanAndInfinityAreRejected() {
    for text in ["nan", "NaN", "inf", "-inf", "infinity"] {
        #expect(
            message { try Dataset.parseCSV("x,y\n1,2\n3,\(text)\n", source: "f.csv", hasHeader: true) }
                == "f.csv:3, column 'y': '\(text)' is not a finite number; NaN and infinity are rejected")
    }
    // A decimal past a Double's range is out of range, not a NaN or an infinity.
    let huge = "1" + String(repeating: "0", count: 400)
    for (text, shown) in [("1e999", "1e999"), (huge, String(huge.prefix(80)) + "… (401 characters)")] {
        #expect(
            message { try Dataset.parseCSV("x,y\n1,2\n3,\(text)\n", source: "f.csv", hasHeader: true) }
                == "f.csv:3, column 'y': '\(shown)' is not a finite 32-bit float; expected a number within ±3.4028235e+38")
    }
}

@Test func unknownColumnListsTheAvailableOnes() {
    #expect(
        message { try Dataset.parseCSV("x,y\n1,2\n", source: "data.csv", hasHeader: true, labelColumn: "z") }
            == "data.csv: no column named 'z'; the columns are: 'x', 'y'")
    #expect(
        message { try Dataset.parseCSV("x,y\n1,2\n", source: "data.csv", hasHeader: true, featureColumns: ["w"]) }
            == "data.csv: no column named 'w'; the columns are: 'x', 'y'")
    #expect(
        message { try Dataset.parseCSV("1,2\n", source: "data.csv", labelColumn: "y") }
            == "data.csv: column 'y' is selected by name, but the file is read without a header; select columns by index or read the header")
    #expect(
        message { try Dataset.parseCSV("1,2\n", source: "data.csv", labelColumn: 2) }
            == "data.csv: column index 2 is out of range; the rows have 2 columns (indices 0...1)")
    #expect(
        message { try Dataset.parseCSV("x,y\n1,2\n", source: "data.csv", hasHeader: true, labelColumn: "y", featureColumns: ["x", "y"]) }
            == "data.csv: column 'y' is both the label and a feature; leave it out of the feature columns")
}

@Test func classIndicesMustBeNonNegativeIntegers() {
    #expect(
        message { try Dataset.parseCSV("1,0\n2,2.5\n", source: "digits.csv", labels: .classIndices) }
            == "digits.csv:2, column index 1: '2.5' is not a class label; expected a non-negative integer")
    #expect(
        message { try Dataset.parseCSV("p,label\n1,0\n2,1\n3,-1\n", source: "c.csv", hasHeader: true, labels: .classIndices) }
            == "c.csv:4, column 'label': '-1' is not a class label; expected a non-negative integer")
}

@Test func numericClassLabelsMustBeIntegers() {
    #expect(
        message { try Dataset.parseCSV("1,0\n2,1\n3,2.5\n4,1\n", source: "c.csv", labels: .classes) }
            == "c.csv:3, column index 1: '2.5' is not a class label: every label is a number and this one is not an integer; expected integer or text classes, or read the column as regression targets")
    #expect(
        message { try Dataset.parseCSV("x,label\n1,a\n2,\n", source: "c.csv", hasHeader: true, labels: .classes) }
            == "c.csv:3, column 'label': the field is empty; expected a class label")
}

/// A label, a column name or a number field that is not UTF-8 is an error that says so: read
/// with replacement characters, `caf\xE9` and `caf\xE8` (Latin-1's é and è) would be one
/// class, and a feature field `\xFF\xFE` would be shown as `'��' is not a number`.
@Test func textThatIsNotUTF8IsRefusedNamingTheField() throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    func file(_ name: String, _ bytes: [UInt8]) throws -> String {
        let path = directory.path + "/" + name
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }
    let latin1 = try file("l.csv", Array("x,label\n1,caf".utf8) + [0xE9] + Array("\n2,caf".utf8) + [0xE8] + Array("\n".utf8))
    #expect(
        message { try Dataset.loadCSV(path: latin1, hasHeader: true, labels: .classes) }
            == "\(latin1):2, column 'label': the field holds bytes that are not UTF-8 text; expected a file in UTF-8 (iconv converts one)")
    let header = try file("h.csv", Array("x,lab".utf8) + [0xFF] + Array("\n1,a\n2,b\n".utf8))
    #expect(
        message { try Dataset.loadCSV(path: header, hasHeader: true, labels: .classes) }
            == "\(header):1, column index 1: the field holds bytes that are not UTF-8 text; expected a file in UTF-8 (iconv converts one)")
    let feature = try file("f.csv", Array("a,b,label\n".utf8) + [0xFF, 0xFE] + Array(",2,0\n1,2,1\n".utf8))
    #expect(
        message { try Dataset.loadCSV(path: feature, hasHeader: true, labels: .classes) }
            == "\(feature):2, column 'a': the field holds bytes that are not UTF-8 text; expected a file in UTF-8 (iconv converts one)")
    let target = try file("t.csv", Array("x,y\n1,".utf8) + [0xB2] + Array("\n".utf8))
    #expect(
        message { try Dataset.loadCSV(path: target, hasHeader: true, labels: .regression) }
            == "\(target):2, column 'y': the field holds bytes that are not UTF-8 text; expected a file in UTF-8 (iconv converts one)")
    // UTF-8 labels of other letters stay two classes.
    let dataset = try? Dataset.parseCSV("x,label\n1,café\n2,cafè\n", source: "u.csv", hasHeader: true, labels: .classes)
    #expect(dataset?.classNames == ["cafè", "café"])
}

@Test func quotingErrorsNameTheLine() {
    #expect(
        message { try Dataset.parseCSV("1,2\n\"3,4\n", source: "q.csv") }
            == "q.csv:2: a quoted field has no closing quote before the end of the file")
    #expect(
        message { try Dataset.parseCSV("1,2\n\"3\"x,4\n", source: "q.csv") }
            == "q.csv:2: field 0 (counting from 0) has text after its closing quote; expected a delimiter or the end of the line")
}

/// A column chosen by a name two columns share could be either: it is an error, not the first.
@Test func aColumnChosenByANameTwoColumnsShareIsRejected() {
    #expect(message { try Dataset.parseCSV("a, b ,b,y\n1,2,3,0\n", source: "dup.csv", hasHeader: true, labelColumn: .name("b")) }
        == "dup.csv:1: columns 1 and 2 (counting from 0) are both named 'b', so a column chosen by that name could be either; rename one, or choose the column by index")
    #expect(message { try Dataset.parseCSV("a, b ,b,y\n1,2,3,0\n", source: "dup.csv", hasHeader: true, labelColumn: .name("y")) } == "no error")
}

/// A field echoed in a message is cut at 80 characters, with its length, and its control
/// characters escaped: a 1 MB field, or a column name of NULs, makes a short line.
@Test func anEchoedFieldIsShortAndPrintable() {
    let long = String(repeating: "z", count: 1_000_000)
    #expect(message { try Dataset.parseCSV("x,y\n\(long),0\n", source: "long.csv", hasHeader: true) }
        == "long.csv:2, column 'x': '\(String(repeating: "z", count: 80))… (1000000 characters)' is not a number")
    #expect(message { try Dataset.parseCSV("a\u{0}b,y\n1,0\n", source: "nul.csv", hasHeader: true, labelColumn: .name("c")) }
        .hasPrefix("nul.csv: no column named 'c'; the columns are: 'a\\0b', 'y'"))
}

/// An integer label past 2^53 is an integer: the message says it is too large, not fractional.
@Test func anIntegerLabelBeyondExactDoublesIsNamedTooLarge() {
    #expect(message { try Dataset.parseCSV("a,y\n1,9223372036854775807\n2,0\n", source: "big.csv", hasHeader: true, labels: .classes) }
        == "big.csv:2, column 'y': '9223372036854775807' is too large for a class label: integer labels are told apart exactly below 2^53 (9007199254740992); expected smaller integers or text classes, or read the column as regression targets")
}
