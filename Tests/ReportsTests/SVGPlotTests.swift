import Foundation
import _TestSupport
import Reports
import Testing

#if canImport(FoundationXML)
import FoundationXML
#endif

/// Parses SVG with Foundation's XMLParser, counting elements inside `<g class="series">`.
private final class SVGInspector: NSObject, XMLParserDelegate {
    var elementCounts: [String: Int] = [:]
    var seriesCounts: [String: Int] = [:]
    var texts: [String] = []
    private var seriesDepth = 0
    private var depth = 0
    private var currentText: String?

    func parser(
        _ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
        attributes: [String: String] = [:]
    ) {
        depth += 1
        elementCounts[name, default: 0] += 1
        if seriesDepth > 0 { seriesCounts[name, default: 0] += 1 }
        if name == "g", attributes["class"] == "series" { seriesDepth = depth }
        if name == "text" { currentText = "" }
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        currentText? += string
    }

    func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
        if depth == seriesDepth { seriesDepth = 0 }
        depth -= 1
        if name == "text", let text = currentText {
            texts.append(text)
            currentText = nil
        }
    }

    static func inspect(_ svg: String) throws -> SVGInspector {
        let inspector = SVGInspector()
        let parser = XMLParser(data: Data(svg.utf8))
        parser.delegate = inspector
        let parsed = parser.parse()
        #expect(parsed, "not well-formed XML: \(String(describing: parser.parserError))")
        return inspector
    }
}

@Suite("SVGPlot draws well-formed, deterministic figures")
struct SVGPlotTests {
    private func fitPlot() -> SVGPlot {
        var plot = SVGPlot(title: "Linear fit", xLabel: "x", yLabel: "y")
        let xs = (0..<25).map { Double($0) / 4 }
        plot.scatter(x: xs, y: xs.map { 2 * $0 + 1 + sin($0) }, label: "data")
        plot.line(x: [0, 6], y: [1, 13], label: "fit")
        return plot
    }

    @Test func scatterPlusLineIsWellFormedWithEveryPoint() throws {
        let inspector = try SVGInspector.inspect(fitPlot().rendered())
        #expect(inspector.elementCounts["svg"] == 1)
        #expect(inspector.seriesCounts["circle"] == 25)
        #expect(inspector.seriesCounts["polyline"] == 1)
        #expect(inspector.texts.contains("Linear fit"))
        #expect(inspector.texts.contains("data"))
        #expect(inspector.texts.contains("fit"))
    }

    @Test func tickLabelsAreRoundNumbers() throws {
        let inspector = try SVGInspector.inspect(fitPlot().rendered())
        // x spans 0...6 and y about 0.4...13.7, so both axes widen to round ends.
        for label in ["0", "2", "4", "6"] { #expect(inspector.texts.contains(label)) }
        for label in ["0", "5", "10", "15"] { #expect(inspector.texts.contains(label)) }
        #expect(!inspector.texts.contains { $0.contains("0000") })
    }

    @Test func outputIsDeterministic() {
        #expect(fitPlot().rendered() == fitPlot().rendered())
    }

    @Test func textIsEscaped() throws {
        var plot = SVGPlot(title: "loss < 0.1 & \"fast\" 'runs'", xLabel: "<step>", yLabel: "a\u{1}b")
        plot.line(x: [1, 2], y: [3, 4], label: "x & y", color: "#abc\"")
        let inspector = try SVGInspector.inspect(plot.rendered())
        #expect(inspector.texts.contains("loss < 0.1 & \"fast\" 'runs'"))
        #expect(inspector.texts.contains("<step>"))
        #expect(inspector.texts.contains("a\u{FFFD}b"))
        #expect(inspector.texts.contains("x & y"))
    }

    @Test func nonFinitePointsAreSkippedAndBreakLines() throws {
        var plot = SVGPlot()
        plot.line(x: [1, 2, 3, 4, 5, 6], y: [1, 2, .nan, 4, 5, .infinity], markers: true)
        let inspector = try SVGInspector.inspect(plot.rendered())
        #expect(inspector.seriesCounts["polyline"] == 2)
        #expect(inspector.seriesCounts["circle"] == 4)
        #expect(inspector.elementCounts["g"].map { $0 >= 3 } == true)
        let svg = plot.rendered()
        #expect(!svg.contains(",nan") && !svg.contains("nan,") && !svg.contains("\"nan"))
    }

    /// A stretch of one finite point between breaks (or a line of one point) has no segment to
    /// draw: it is a dot, so that it shows; a line with markers has its dots already.
    @Test func anIsolatedPointOfALineIsADot() throws {
        var plot = SVGPlot()
        plot.line(x: [1, 2, 3, 4, 5], y: [1, .nan, 3, 4, .nan])
        plot.line(x: [2], y: [2])
        var inspector = try SVGInspector.inspect(plot.rendered())
        #expect(inspector.seriesCounts["polyline"] == 1)
        #expect(inspector.seriesCounts["circle"] == 2)
        var marked = SVGPlot()
        marked.line(x: [1, 2, 3], y: [1, .nan, 3], markers: true)
        inspector = try SVGInspector.inspect(marked.rendered())
        #expect(inspector.seriesCounts["polyline"] == nil && inspector.seriesCounts["circle"] == 2)
    }

    @Test func emptyPlotAndFixedRangesStillRender() throws {
        var plot = SVGPlot(title: "speed-up")
        _ = try SVGInspector.inspect(plot.rendered())
        plot.xRange = 1...8
        plot.yRange = 0...8
        plot.line(x: [1, 2, 4, 8], y: [1, 1.9, 3.7, 6.9], label: "measured", markers: true)
        plot.line(x: [1, 8], y: [1, 8], label: "ideal")
        let inspector = try SVGInspector.inspect(plot.rendered())
        #expect(inspector.seriesCounts["polyline"] == 2)
        #expect(inspector.seriesCounts["circle"] == 4)
        #expect(inspector.texts.contains("8"))
    }

    @Test func writesAtomically() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try fitPlot().write(to: directory.path + "/fit.svg")
        #expect(try directory.read("fit.svg") == fitPlot().rendered())
    }
}
