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

@Test func readsClassLabelsAsIntegers() throws {
    let data = try Dataset.parseCSV("0.5,2\n1.5,0\n2.5,1\n", labels: .classes)
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
