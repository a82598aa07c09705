import Storage

/// Several ``SVGPlot``s side by side in one SVG document, each with its own axes, labels and
/// legend: matplotlib's `subplots(1, n)`.
///
/// Panels are laid out left to right in rows of ``columns``, each at its own size (taller than
/// its ``SVGPlot/height`` when its legend goes below it); a row is as tall as its tallest panel. The output is deterministic, as ``SVGPlot``'s is.
///
/// ```swift
/// var loss = SVGPlot(title: "Loss", xLabel: "epoch", yLabel: "loss")
/// loss.line(x: epochs, y: trainLoss, label: "train")
/// var accuracy = SVGPlot(title: "Accuracy", xLabel: "epoch", yLabel: "accuracy")
/// accuracy.line(x: epochs, y: trainAccuracy, label: "train")
/// try SVGFigure(panels: [loss, accuracy]).write(to: "runs/digits/metrics.svg")
/// ```
public struct SVGFigure: Sendable {
    /// The panels, in reading order.
    public var panels: [SVGPlot]
    /// Panels per row.
    public var columns: Int

    /// Makes a figure of `panels`, `columns` to a row (all in one row by default).
    public init(panels: [SVGPlot], columns: Int? = nil) {
        self.panels = panels
        self.columns = Swift.max(1, columns ?? panels.count)
    }

    /// The figure as a standalone SVG document, ending in a newline.
    public func rendered() -> String {
        var content = ""
        var width = 0.0, height = 0.0
        var y = 0.0
        for rowStart in stride(from: 0, to: panels.count, by: columns) {
            let row = panels[rowStart..<Swift.min(panels.count, rowStart + columns)]
            var x = 0.0
            var rowHeight = 0.0
            for (offset, panel) in row.enumerated() {
                let (svg, height) = panel.content(clipID: "plot-area-\(rowStart + offset + 1)")
                content += "<svg x=\"\(coordinate(x))\" y=\"\(coordinate(y))\" width=\"\(coordinate(panel.width))\" "
                    + "height=\"\(coordinate(height))\" viewBox=\"0 0 \(coordinate(panel.width)) \(coordinate(height))\">\n"
                content += svg
                content += "</svg>\n"
                x += panel.width
                rowHeight = Swift.max(rowHeight, height)
            }
            width = Swift.max(width, x)
            y += rowHeight
        }
        height = y
        return SVGPlot.document(width: width, height: height, content: content)
    }

    /// Writes the figure atomically.
    ///
    /// - Parameter path: the destination; its directory must exist.
    /// - Throws: `FileError` from `AtomicFile`.
    public func write(to path: String) throws {
        try AtomicFile.write(rendered(), to: path)
    }
}
