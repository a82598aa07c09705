import Foundation
import Storage

/// A heat map in SVG: a grid of cells coloured by their values, each value written in its cell,
/// row and column labels, a title for each axis and a colour scale beside the grid.
///
/// It draws confusion matrices (rows the true class, columns the predicted one, as
/// scikit-learn's `ConfusionMatrixDisplay`) and any other small table of numbers. Colours run
/// from white to dark blue (matplotlib's "Blues") over `min(0, smallest)...largest`; text on a
/// dark cell is white. Like ``SVGPlot`` the output is standalone SVG 1.1, valid XML with all
/// text escaped, and the same map always gives the same bytes.
///
/// ```swift
/// let map = SVGHeatMap(
///     counts: [[50, 2], [3, 45]], rowLabels: ["0", "1"], columnLabels: ["0", "1"],
///     title: "Confusion matrix", rowTitle: "true", columnTitle: "predicted")
/// try map.write(to: "out/confusion.svg")
/// ```
public struct SVGHeatMap: Sendable {
    /// The values, one array per row, each with one value per column.
    public var values: [[Double]]
    /// The text written in each cell, one array per row.
    public var cellTexts: [[String]]
    public var rowLabels: [String]
    public var columnLabels: [String]
    /// The text above the map.
    public var title: String
    /// What the rows are, written beside the row labels (`true`).
    public var rowTitle: String
    /// What the columns are, written under the column labels (`predicted`).
    public var columnTitle: String

    /// matplotlib's "Blues", light to dark.
    static let colors = ["#f7fbff", "#deebf7", "#c6dbef", "#9ecae1", "#6baed6", "#4292c6", "#2171b5", "#08519c", "#08306b"]

    /// A map of values, each cell showing its value with up to four significant digits.
    ///
    /// - Precondition: one row label per row and one column label per column of `values`.
    public init(
        values: [[Double]], rowLabels: [String], columnLabels: [String], title: String = "", rowTitle: String = "",
        columnTitle: String = ""
    ) {
        precondition(values.count == rowLabels.count, "SVGHeatMap: \(values.count) rows but \(rowLabels.count) row labels")
        let bad = values.firstIndex { $0.count != columnLabels.count }
        precondition(bad == nil, "SVGHeatMap: row \(bad ?? 0) has \(bad.map { values[$0].count } ?? 0) values but there are \(columnLabels.count) column labels")
        self.values = values
        self.cellTexts = values.map { row in row.map(Self.text) }
        self.rowLabels = rowLabels
        self.columnLabels = columnLabels
        self.title = title
        self.rowTitle = rowTitle
        self.columnTitle = columnTitle
    }

    /// A map of counts, such as a confusion matrix, each cell showing its count.
    public init(
        counts: [[Int]], rowLabels: [String], columnLabels: [String], title: String = "", rowTitle: String = "",
        columnTitle: String = ""
    ) {
        self.init(
            values: counts.map { $0.map(Double.init) }, rowLabels: rowLabels, columnLabels: columnLabels, title: title,
            rowTitle: rowTitle, columnTitle: columnTitle)
        cellTexts = counts.map { $0.map(String.init) }
    }

    private static func text(_ value: Double) -> String {
        guard value.isFinite else { return value.isNaN ? "nan" : value > 0 ? "inf" : "-inf" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int(value)) }
        return String(format: "%.4g", value)
    }

    /// Writes the map atomically.
    ///
    /// - Parameter path: the destination; its directory must exist.
    /// - Throws: `FileError` from `AtomicFile`.
    public func write(to path: String) throws {
        try AtomicFile.write(rendered(), to: path)
    }

    /// The map as SVG text: a standalone document ending in a newline.
    public func rendered() -> String {
        let rows = values.count, columns = columnLabels.count
        let cell = Swift.min(56, Swift.max(14, 480 / Double(Swift.max(1, rows, columns))))
        let fontSize = Swift.min(12, Swift.max(6, cell * 0.36))
        let characterWidth = 7.0
        let rowLabelWidth = characterWidth * Double(rowLabels.map(\.count).max() ?? 1) + 10
        let longestColumnLabel = characterWidth * Double(columnLabels.map(\.count).max() ?? 1)
        let rotateColumnLabels = longestColumnLabel > cell - 4
        let columnLabelHeight = rotateColumnLabels ? longestColumnLabel + 10 : 20

        let left = (rowTitle.isEmpty ? 12 : 34) + rowLabelWidth
        let top = title.isEmpty ? 16.0 : 44
        let gridWidth = cell * Double(columns), gridHeight = cell * Double(rows)
        let bottom = top + gridHeight
        let (low, high) = range
        // Round ticks, and the top of the scale (the largest value) in place of any tick too
        // close to it.
        let ticks = AxisTicks(covering: low...high, maxCount: 5).values.filter { (high - $0) / (high - low) * gridHeight > 14 } + [high]
        let tickLabelWidth = characterWidth * Double(ticks.map { Self.text($0).count }.max() ?? 1)
        let barLeft = left + gridWidth + 20, barWidth = 14.0
        // A title wider than the grid and scale widens the figure; it is centred on the figure.
        let width = Swift.max(barLeft + barWidth + 8 + tickLabelWidth + 12, 8 * Double(title.count) + 24)
        let height = bottom + columnLabelHeight + (columnTitle.isEmpty ? 12 : 34)

        var svg = """
            <?xml version="1.0" encoding="UTF-8"?>
            <svg xmlns="http://www.w3.org/2000/svg" width="\(coordinate(width))" height="\(coordinate(height))" \
            viewBox="0 0 \(coordinate(width)) \(coordinate(height))" font-family="DejaVu Sans, Arial, sans-serif" font-size="12">

            """
        svg += "<rect width=\"\(coordinate(width))\" height=\"\(coordinate(height))\" fill=\"white\"/>\n"
        svg += "<defs><linearGradient id=\"colour-scale\" x1=\"0\" y1=\"1\" x2=\"0\" y2=\"0\">\n"
        for (index, color) in Self.colors.enumerated() {
            svg += "<stop offset=\"\(coordinate(Double(index) / Double(Self.colors.count - 1)))\" stop-color=\"\(color)\"/>\n"
        }
        svg += "</linearGradient></defs>\n"

        svg += "<g class=\"cells\" stroke=\"white\" stroke-width=\"1\">\n"
        var texts = "<g class=\"counts\" text-anchor=\"middle\" dominant-baseline=\"middle\" font-size=\"\(coordinate(fontSize))\">\n"
        for row in 0..<rows {
            for column in 0..<columns {
                let x = left + cell * Double(column), y = top + cell * Double(row)
                let shade = fraction(values[row][column], low: low, high: high)
                let text = escapeXML(cellTexts[row][column])
                svg += "<rect class=\"cell\" x=\"\(coordinate(x))\" y=\"\(coordinate(y))\" width=\"\(coordinate(cell))\" "
                    + "height=\"\(coordinate(cell))\" fill=\"\(Self.color(at: shade))\"><title>\(escapeXML(rowTitle.isEmpty ? "row" : rowTitle)) "
                    + "\(escapeXML(rowLabels[row])), \(escapeXML(columnTitle.isEmpty ? "column" : columnTitle)) "
                    + "\(escapeXML(columnLabels[column])): \(text)</title></rect>\n"
                texts += "<text x=\"\(coordinate(x + cell / 2))\" y=\"\(coordinate(y + cell / 2))\" "
                    + "fill=\"\(shade > 0.55 ? "white" : "#222222")\">\(text)</text>\n"
            }
        }
        svg += "</g>\n" + texts + "</g>\n"

        svg += "<g class=\"row-labels\" fill=\"#333333\" text-anchor=\"end\" dominant-baseline=\"middle\">\n"
        for (row, label) in rowLabels.enumerated() {
            svg += "<text x=\"\(coordinate(left - 6))\" y=\"\(coordinate(top + cell * (Double(row) + 0.5)))\">\(escapeXML(label))</text>\n"
        }
        svg += "</g>\n<g class=\"column-labels\" fill=\"#333333\">\n"
        for (column, label) in columnLabels.enumerated() {
            let x = coordinate(left + cell * (Double(column) + 0.5)), y = coordinate(bottom + 14)
            if rotateColumnLabels {
                svg += "<text x=\"\(x)\" y=\"\(coordinate(bottom + 6))\" text-anchor=\"end\" dominant-baseline=\"middle\" "
                    + "transform=\"rotate(-90 \(x) \(coordinate(bottom + 6)))\">\(escapeXML(label))</text>\n"
            } else {
                svg += "<text x=\"\(x)\" y=\"\(y)\" text-anchor=\"middle\">\(escapeXML(label))</text>\n"
            }
        }
        svg += "</g>\n"

        svg += "<g class=\"colour-scale\">\n"
        svg += "<rect x=\"\(coordinate(barLeft))\" y=\"\(coordinate(top))\" width=\"\(coordinate(barWidth))\" height=\"\(coordinate(gridHeight))\" "
            + "fill=\"url(#colour-scale)\" stroke=\"#333333\" stroke-width=\"1\"/>\n"
        for tick in ticks {
            let y = coordinate(bottom - fraction(tick, low: low, high: high) * gridHeight)
            svg += "<line x1=\"\(coordinate(barLeft + barWidth))\" y1=\"\(y)\" x2=\"\(coordinate(barLeft + barWidth + 4))\" y2=\"\(y)\" stroke=\"#333333\"/>\n"
            svg += "<text x=\"\(coordinate(barLeft + barWidth + 7))\" y=\"\(y)\" dominant-baseline=\"middle\" fill=\"#333333\">"
                + "\(escapeXML(Self.text(tick)))</text>\n"
        }
        svg += "</g>\n"

        let centerX = coordinate(left + gridWidth / 2)
        if !title.isEmpty {
            svg += "<text class=\"title\" x=\"\(coordinate(width / 2))\" y=\"26\" text-anchor=\"middle\" font-size=\"15\">\(escapeXML(title))</text>\n"
        }
        if !columnTitle.isEmpty {
            svg += "<text class=\"x-label\" x=\"\(centerX)\" y=\"\(coordinate(height - 12))\" text-anchor=\"middle\">"
                + "\(escapeXML(columnTitle))</text>\n"
        }
        if !rowTitle.isEmpty {
            let centerY = coordinate(top + gridHeight / 2)
            svg += "<text class=\"y-label\" x=\"18\" y=\"\(centerY)\" text-anchor=\"middle\" "
                + "transform=\"rotate(-90 18 \(centerY))\">\(escapeXML(rowTitle))</text>\n"
        }
        svg += "</svg>\n"
        return svg
    }

    /// The colour scale's ends: from 0 (or the smallest value, when negative) to the largest
    /// (to 1 above the smallest when all are equal).
    var range: (low: Double, high: Double) {
        let finite = values.joined().filter(\.isFinite)
        let low = Swift.min(0, finite.min() ?? 0), high = Swift.max(0, finite.max() ?? 0)
        return (low, high > low ? high : low + 1)
    }

    private func fraction(_ value: Double, low: Double, high: Double) -> Double {
        guard value.isFinite, high > low else { return 0 }
        return Swift.min(1, Swift.max(0, (value - low) / (high - low)))
    }

    /// The colour `t` of the way along the scale (0 white, 1 dark blue), interpolated between
    /// its stops, as `#rrggbb`.
    public static func color(at t: Double) -> String {
        let position = t * Double(colors.count - 1)
        let index = Swift.min(colors.count - 2, Int(position))
        let local = position - Double(index)
        let from = rgb(colors[index]), to = rgb(colors[index + 1])
        var hex = "#"
        for channel in 0..<3 {
            let start = Double(from[channel])
            let value: Int = Int((start + (Double(to[channel]) - start) * local).rounded())
            let digits: String = String(value, radix: 16)
            hex += digits.count == 1 ? "0" + digits : digits
        }
        return hex
    }

    private static func rgb(_ hex: String) -> [Int] {
        let digits = Array(hex.dropFirst())
        return (0..<3).map { Int(String(digits[2 * $0...2 * $0 + 1]), radix: 16) ?? 0 }
    }
}
