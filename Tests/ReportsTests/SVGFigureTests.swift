import Foundation
import Reports
import Testing

#if canImport(FoundationXML)
import FoundationXML
#endif

@Suite("SVGFigure puts plots side by side")
struct SVGFigureTests {
    private func panel(_ title: String) -> SVGPlot {
        var plot = SVGPlot(title: title, xLabel: "epoch", yLabel: title, width: 300, height: 200)
        plot.line(x: [1, 2, 3], y: [3, 2, 1], label: "train")
        plot.line(x: [1, 2, 3], y: [3, 2.5, 2], label: "test")
        return plot
    }

    @Test func twoPanelsMakeOneWellFormedDocumentWithAClipPathEach() throws {
        let svg = SVGFigure(panels: [panel("loss"), panel("accuracy")]).rendered()
        let parser = XMLParser(data: Data(svg.utf8))
        #expect(parser.parse(), "\(String(describing: parser.parserError))")
        #expect(svg.hasPrefix("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"600\" height=\"200\""))
        #expect(svg.components(separatedBy: "<?xml").count == 2, "one XML declaration")
        #expect(svg.contains("<svg x=\"0\" y=\"0\" width=\"300\" height=\"200\""))
        #expect(svg.contains("<svg x=\"300\" y=\"0\" width=\"300\" height=\"200\""))
        for id in ["plot-area-1", "plot-area-2"] {
            #expect(svg.components(separatedBy: "id=\"\(id)\"").count == 2)
            #expect(svg.contains("clip-path=\"url(#\(id))\""))
        }
        #expect(svg.contains(">loss</text>") && svg.contains(">accuracy</text>") && svg.contains(">test</text>"))
    }

    @Test func panelsWrapIntoRows() {
        let svg = SVGFigure(panels: [panel("a"), panel("b"), panel("c")], columns: 2).rendered()
        #expect(svg.contains("width=\"600\" height=\"400\""))
        #expect(svg.contains("<svg x=\"0\" y=\"200\" width=\"300\""))
    }

    @Test func aPlotAloneRendersAsBefore() {
        // The plot's own document keeps its clip path's name.
        let svg = panel("loss").rendered()
        #expect(svg.contains("<clipPath id=\"plot-area\">") && svg.contains("url(#plot-area)"))
    }
}
