import _TestSupport
import Autograd
import Datasets
import Testing

@Test func parsesHeaderColumnsByNameInAnyOrder() throws {
    let text = "a,b,c\n1,2,3\n4,5,6\n"
    let data = try Dataset.parseCSV(text, hasHeader: true, labelColumn: "a", featureColumns: ["c", "b"])
    #expect(data.features == Tensor([[3, 2], [6, 5]]))
    #expect(data.targets == Tensor([[1], [4]]))
    #expect(data.featureNames == ["c", "b"])
    #expect(data.classLabels == nil)
}

@Test func defaultsToLastColumnAsLabelAndOthersAsFeatures() throws {
    let data = try Dataset.parseCSV("1,2,3\n4,5,6", hasHeader: false)
    #expect(data.features == Tensor([[1, 2], [4, 5]]))
    #expect(data.targets == Tensor([[3], [6]]))
    #expect(data.featureNames == ["x0", "x1"])
}

@Test func selectsColumnsByIndex() throws {
    let data = try Dataset.parseCSV("1,2,3\n4,5,6", labelColumn: 0, featureColumns: [2])
    #expect(data.features == Tensor([[3], [6]]))
    #expect(data.targets == Tensor([[1], [4]]))
}

@Test func toleratesWhitespaceBlankLinesAndCRLF() throws {
    let text = " x ,\ty \r\n\r\n  1.5 , -2e1\r\n   \n\t0.25,  3 \r\n\n"
    let data = try Dataset.parseCSV(text, hasHeader: true, labelColumn: "y", featureColumns: ["x"])
    #expect(data.features == Tensor([[1.5], [0.25]]))
    #expect(data.targets == Tensor([[-20], [3]]))
    #expect(data.featureNames == ["x"])
}

/// Line ends of old Mac files (`\r` alone) and of mixed files read as Python's `csv` reads
/// them: `\r\n` is one line end, `\r` and `\n` alone are one each.
@Test func readsCarriageReturnLineEndsAlone() throws {
    let text = "x,y\r1.5,-2\r\r0.25,3\r\n4,5\n\r6,7\r"
    let data = try Dataset.parseCSV(text, hasHeader: true, labelColumn: "y", featureColumns: ["x"])
    #expect(data.features == Tensor([[1.5], [0.25], [4], [6]]))
    #expect(data.targets == Tensor([[-2], [3], [5], [7]]))
}

@Test func readsQuotedFieldsWithDelimitersAndEscapedQuotes() throws {
    let text = "\"name, with comma\",\"say \"\"hi\"\"\",label\n\"1\", \"2\" ,3\n"
    let data = try Dataset.parseCSV(text, hasHeader: true)
    #expect(data.featureNames == ["name, with comma", "say \"hi\""])
    #expect(data.features == Tensor([[1, 2]]))
    let selected = try Dataset.parseCSV(text, hasHeader: true, labelColumn: "label", featureColumns: ["say \"hi\""])
    #expect(selected.features == Tensor([[2]]))
}

@Test func leavesUnselectedTextColumnsUnparsed() throws {
    let data = try Dataset.parseCSV("id,x,y\nalpha,1,2\nbeta,3,4\n", hasHeader: true, featureColumns: ["x"])
    #expect(data.features == Tensor([[1], [3]]))
    #expect(data.targets == Tensor([[2], [4]]))
}

@Test func parsesNumberFormats() throws {
    let data = try Dataset.parseCSV("-0.5,+3,1e-3,.5,7.,-12,0.1\n", featureColumns: [0, 1, 2, 3, 4, 5], labels: .regression)
    #expect(data.features.scalars == [-0.5, 3, 0.001, 0.5, 7, -12])
    #expect(data.targets.scalars == [0.1])
}

@Test func classesAreTheDistinctLabelsInSortedOrder() throws {
    // Labels 1, 2, 3 are three classes, not four; -1 sorts before 1; 1.0 and +1 are the label 1.
    let numbers = try Dataset.parseCSV("x,y\n0,3\n1,1\n2,2\n3,3\n", hasHeader: true, labels: .classes)
    #expect(numbers.classCount == 3)
    #expect(numbers.classLabels == [2, 0, 1, 2])
    #expect(numbers.classNames == ["1", "2", "3"])
    let signs = try Dataset.parseCSV("0,1\n1,-1\n2,1.0\n3,+1\n4,10\n", labels: .classes)
    #expect(signs.classNames == ["-1", "1", "10"])
    #expect(signs.classLabels == [1, 0, 1, 1, 2])
    // Text sorts by its bytes; once a label is text, every label is (so "10" < "9").
    let words = try Dataset.parseCSV("0,dog\n1,cat\n2,\"ant\"\n3,cat\n4,9\n5,10\n", labels: .classes)
    #expect(words.classNames == ["10", "9", "ant", "cat", "dog"])
    #expect(words.classLabels == [4, 3, 2, 3, 1, 0])
    #expect(words.targets == Tensor([[4], [3], [2], [3], [1], [0]]))
    #expect(words.classLabel(of: 2) == "ant")
    // The names follow a subset and a choice of classes.
    let split = words.split(trainCount: 3)
    #expect(split.test.classNames == words.classNames)
    #expect(words.keepingClasses([3, 2]).classNames == ["cat", "ant"])
}

@Test func aHeaderOfNumbersIsFlagged() throws {
    let scratch = try TemporaryDirectory(prefix: "DatasetsTests")
    defer { scratch.remove() }
    let path = try scratch.write("numbers.csv", bytes: "1.5,2,0\n3,4,1\n".utf8)
    #expect(try Dataset.loadCSVCheckingHeader(path: path, hasHeader: true, labels: .regression).headerLooksLikeData)
    let labelled = try scratch.write("labelled.csv", bytes: "1.5,2,cat\n3,4,dog\n".utf8)
    #expect(try Dataset.loadCSVCheckingHeader(path: labelled, hasHeader: true, labels: .classes).headerLooksLikeData)
    let named = try scratch.write("named.csv", bytes: "a,2,label\n3,4,1\n".utf8)
    #expect(try !Dataset.loadCSVCheckingHeader(path: named, hasHeader: true).headerLooksLikeData)
    #expect(try !Dataset.loadCSVCheckingHeader(path: path, hasHeader: false).headerLooksLikeData)
}

@Test func readsClassIndicesAsIntegers() throws {
    let data = try Dataset.parseCSV("0.5,2\n1.5,0\n2.5,1\n", labels: .classIndices)
    #expect(data.classLabels == [2, 0, 1])
    #expect(data.classCount == 3)
    #expect(data.targets == Tensor([[2], [0], [1]]))
    #expect(data.classCounts == [1, 1, 1])
}

@Test func loadsTheSeedLinearData() throws {
    let data = try Dataset.seedLinear(path: BundledData.linear)
    #expect(data.features.shape == [100, 1])
    #expect(data.targets.shape == [100, 1])
    #expect(data.features.scalars.first == 0)
    #expect(data.features.scalars.last == 10)
    #expect(data.features.scalars[1] == Float(0.10101010101010101))
    #expect(data.targets.scalars[0] == Float(4.9973797561942774))
    #expect(data.targets.scalars[1] == Float(4.3254437141228603))
}
