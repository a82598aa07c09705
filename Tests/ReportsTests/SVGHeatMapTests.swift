import Foundation
import Reports
import Testing
import _TestSupport

#if canImport(FoundationXML)
import FoundationXML
#endif

/// `SVGHeatMap` draws a well-formed SVG with one cell per (row, column) pair, its count written
/// in it, labels on both axes, the axes' titles and a colour scale.
@Suite struct SVGHeatMapTests {
    private func confusion(classes: Int) -> SVGHeatMap {
        let counts = (0..<classes).map { truth in (0..<classes).map { predicted in truth == predicted ? 20 + truth : (truth * 7 + predicted) % 3 } }
        let labels = (0..<classes).map { "class \($0)" }
        return SVGHeatMap(
            counts: counts, rowLabels: labels, columnLabels: labels, title: "Confusion matrix", rowTitle: "true", columnTitle: "predicted")
    }

    private func document(_ map: SVGHeatMap) throws -> XMLDocument {
        try XMLDocument(xmlString: map.rendered(), options: [])
    }

    private func nodes(_ document: XMLDocument, _ path: String) throws -> [XMLNode] {
        try document.nodes(forXPath: path)
    }

    @Test(arguments: [2, 3, 10, 40])
    func everyClassPairHasOneCellShowingItsCount(classes: Int) throws {
        let map = confusion(classes: classes)
        let document = try document(map)
        #expect(document.rootElement()?.name == "svg")
        let cells = try nodes(document, "//*[local-name()='rect'][@class='cell']")
        #expect(cells.count == classes * classes)
        let counts = try nodes(document, "//*[local-name()='g'][@class='counts']/*[local-name()='text']").map { $0.stringValue ?? "" }
        #expect(counts == map.cellTexts.joined().map { $0 })
        #expect(counts.first == "20")
        let rows = try nodes(document, "//*[local-name()='g'][@class='row-labels']/*").map { $0.stringValue ?? "" }
        let columns = try nodes(document, "//*[local-name()='g'][@class='column-labels']/*").map { $0.stringValue ?? "" }
        #expect(rows == map.rowLabels && columns == map.columnLabels)
        let texts = try nodes(document, "//*[local-name()='text']").compactMap(\.stringValue)
        #expect(texts.contains("true") && texts.contains("predicted") && texts.contains("Confusion matrix"))
        // The colour scale: a gradient bar and its ticks, the largest count labelled.
        #expect(try nodes(document, "//*[local-name()='linearGradient']/*[local-name()='stop']").count == 9)
        let scale = try nodes(document, "//*[local-name()='g'][@class='colour-scale']/*[local-name()='text']").compactMap(\.stringValue)
        #expect(scale.first == "0" && scale.contains(String(20 + classes - 1)), "\(scale)")
    }

    @Test func darkerCellsHoldLargerCountsAndTheSameMapGivesTheSameBytes() throws {
        let map = SVGHeatMap(counts: [[0, 5], [10, 1]], rowLabels: ["a", "b"], columnLabels: ["a", "b"])
        let fills = try nodes(document(map), "//*[local-name()='rect'][@class='cell']/@fill").compactMap(\.stringValue)
        #expect(fills == [SVGHeatMap.color(at: 0), SVGHeatMap.color(at: 0.5), SVGHeatMap.color(at: 1), SVGHeatMap.color(at: 0.1)])
        #expect(fills.first == "#f7fbff" && fills[2] == "#08306b")
        #expect(map.rendered() == map.rendered())
    }

    @Test func labelsAreEscapedAndValuesOtherThanCountsAreWrittenShort() throws {
        let map = SVGHeatMap(
            values: [[0.125, -1], [1.0 / 3, .nan]], rowLabels: ["<a & b>", "\"q\""], columnLabels: ["x", "y"], title: "R&D")
        let document = try document(map)
        let counts = try nodes(document, "//*[local-name()='g'][@class='counts']/*").compactMap(\.stringValue)
        #expect(counts == ["0.125", "-1", "0.3333", "nan"])
        let rows = try nodes(document, "//*[local-name()='g'][@class='row-labels']/*").compactMap(\.stringValue)
        #expect(rows == ["<a & b>", "\"q\""])
    }

    @Test func writingIsAtomicAndNamesAMissingFolder() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let map = confusion(classes: 3)
        try map.write(to: directory.path + "/map.svg")
        #expect(try directory.read("map.svg") == map.rendered())
        #expect(throws: (any Error).self) { try map.write(to: directory.path + "/missing/map.svg") }
    }
}
