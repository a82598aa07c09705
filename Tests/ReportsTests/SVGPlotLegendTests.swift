import Foundation
import _TestSupport
import Reports
import Testing

@Suite("SVGPlot legend placement")
struct SVGPlotLegendTests {
    private func legendBox(_ svg: String) throws -> (x: Double, y: Double) {
        let legend = try #require(svg.range(of: "<g class=\"legend\">\n<rect x=\""))
        let rest = svg[legend.upperBound...]
        let x = try #require(Double(rest.prefix { $0 != "\"" }))
        let yStart = try #require(rest.range(of: "y=\""))
        let y = try #require(Double(rest[yStart.upperBound...].prefix { $0 != "\"" }))
        return (x, y)
    }

    @Test func legendAvoidsDataInTheTopRight() throws {
        var rising = SVGPlot()
        rising.line(x: [0, 10], y: [0, 10], label: "rising")
        var falling = SVGPlot()
        falling.line(x: [0, 10], y: [10, 0], label: "falling")
        let risingBox = try legendBox(rising.rendered())
        let fallingBox = try legendBox(falling.rendered())
        #expect(risingBox.x < 100, "a rising line fills the top-right, so the legend moves left")
        #expect(fallingBox.x > 300, "a falling line leaves the top-right free")
        #expect(risingBox.y == fallingBox.y)
    }

    /// Checks that every element of every legend in `svg` lies on the canvas and off every plot
    /// area, and that the legends name `labels` (each in full, or shortened with its full text
    /// in a `<title>`).
    private func expectLegendsClear(_ svg: String, naming labels: [String], sourceLocation: SourceLocation = #_sourceLocation) throws {
        let geometry = try #require(SVGGeometry(svg), "not well-formed XML", sourceLocation: sourceLocation)
        #expect(geometry.viewBox == "0 0 \(coordinate(geometry.width)) \(coordinate(geometry.height))", sourceLocation: sourceLocation)
        for item in geometry.legendItems {
            #expect(item.box.isInside(width: geometry.width, height: geometry.height), "\(item.box) \(item.text ?? "")", sourceLocation: sourceLocation)
            for area in geometry.plotAreas {
                #expect(!item.box.intersects(area), "\(item.box) \(item.text ?? "") covers the plot area \(area)", sourceLocation: sourceLocation)
            }
        }
        let shown = geometry.legendItems.compactMap(\.text)
        #expect(shown.count == labels.count, sourceLocation: sourceLocation)
        for (label, text) in zip(labels, shown) where label != text {
            #expect(text.contains("…") && geometry.titles.contains(label), "\(label) shown as \(text)", sourceLocation: sourceLocation)
        }
    }

    private func coordinate(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(value)
    }

    /// `runs` runs of three curves each, on two panels side by side, as `swiftgrad plot` draws.
    private func figure(runs: Int, name: (Int) -> String = { "run\($0)" }) -> (svg: String, labels: [String]) {
        var labels: [String] = []
        var panels: [SVGPlot] = []
        for title in ["loss", "accuracy"] {
            var plot = SVGPlot(title: title, xLabel: "epoch", yLabel: title, width: 560, height: 400)
            plot.legendPlacement = .below
            for run in 1...runs {
                for (offset, curve) in ["train steps", "train", "test"].enumerated() {
                    let epochs = (1...20).map(Double.init)
                    plot.line(x: epochs, y: epochs.map { 1 / ($0 + Double(run + offset)) }, label: "\(name(run)) \(curve)", markers: true)
                }
            }
            labels += plot.series.map(\.label)
            panels.append(plot)
        }
        return (SVGFigure(panels: panels).rendered(), labels)
    }

    @Test(arguments: [1, 7, 30])
    func everyLegendEntryIsOnTheCanvasAndOffThePlotAreas(runs: Int) throws {
        let (svg, labels) = figure(runs: runs)
        try expectLegendsClear(svg, naming: labels)
        let geometry = try #require(SVGGeometry(svg))
        #expect(geometry.width == 1120)
        #expect(geometry.height > 400, "the legend below the panels makes the canvas taller")
        if runs == 30 {
            // 90 entries of about 15 characters: several columns, so the canvas grows by far
            // less than a row each.
            #expect(geometry.height < 400 + 90 * 18 / 2, "\(geometry.height)")
        }
    }

    @Test func aLegendThatWouldHideDataGoesBelowThePlot() throws {
        // Lines through every corner of the plot area: no corner is free.
        var plot = SVGPlot(title: "crossing", xLabel: "x", yLabel: "y")
        plot.line(x: [0, 10], y: [0, 10], label: "rising")
        plot.line(x: [0, 10], y: [10, 0], label: "falling")
        plot.line(x: [0, 10], y: [0, 0], label: "floor")
        plot.line(x: [0, 10], y: [10, 10], label: "ceiling")
        let svg = plot.rendered()
        try expectLegendsClear(svg, naming: ["rising", "falling", "floor", "ceiling"])
        #expect(try #require(SVGGeometry(svg)).height > plot.height)
        // Many series make a legend too tall for a corner, whatever the data.
        var many = SVGPlot(width: 640, height: 420)
        for index in 0..<25 { many.scatter(x: [Double(index)], y: [0], label: "s\(index)") }
        try expectLegendsClear(many.rendered(), naming: (0..<25).map { "s\($0)" })
    }

    @Test func seriesTenApartDifferInTheirDashesOnThePlotAndInTheLegend() throws {
        var plot = SVGPlot()
        for index in 0..<60 { plot.line(x: [0, 1], y: [Double(index), Double(index)], label: "s\(index)") }
        let geometry = try #require(SVGGeometry(plot.rendered()))
        let polylines = geometry.elements.filter { $0.name == "polyline" }.map(\.attributes)
        let swatches = geometry.elements.filter { $0.name == "line" && $0.attributes["stroke-width"] == "2" }.map(\.attributes)
        #expect(polylines.count == 60 && swatches.count == 60)
        for drawn in [polylines, swatches] {
            let styles = drawn.map { "\($0["stroke"] ?? "") \($0["stroke-dasharray"] ?? "solid")" }
            #expect(Set(styles).count == 60, "every series has its own colour and dash pattern")
            #expect(drawn[0]["stroke"] == drawn[10]["stroke"] && drawn[0]["stroke-dasharray"] == nil && drawn[10]["stroke-dasharray"] != nil)
        }
        #expect(polylines.map { $0["stroke-dasharray"] } == swatches.map { $0["stroke-dasharray"] })
    }

    @Test func longNamesAreShortenedToTheirPanelWithTheWholeNameOnHover() throws {
        let long = "runs/" + String(repeating: "a", count: 190) + "-end"
        var panels: [SVGPlot] = []
        for title in ["loss", "accuracy"] {
            var plot = SVGPlot(title: "\(long): \(title)", xLabel: "epoch", yLabel: title, width: 560, height: 400)
            plot.line(x: [1, 2], y: [1, 2], label: "\(long) train")
            plot.line(x: [1, 2], y: [2, 1], label: "short")
            panels.append(plot)
        }
        let svg = SVGFigure(panels: panels).rendered()
        try expectLegendsClear(svg, naming: ["\(long) train", "short", "\(long) train", "short"])
        let geometry = try #require(SVGGeometry(svg))
        for title in ["loss", "accuracy"] {
            let shown = try #require(geometry.texts.first { $0.hasPrefix("runs/aaa") && $0.hasSuffix("-end: \(title)") })
            #expect(shown.contains("…"))
            // DejaVu Sans draws an `a` 9.2 pixels wide at 15 pixels: the title, centred on its
            // plot area (at 306), stays within its 560-pixel panel.
            #expect(Double(shown.count) * 9.3 <= 2 * (560 - 306), "\(shown)")
            #expect(geometry.titles.contains("\(long): \(title)"))
        }
    }
}
