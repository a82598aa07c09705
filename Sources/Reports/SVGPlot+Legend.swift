extension SVGPlot {
    /// The legend's place and entries.
    ///
    /// Placed ``LegendPlacement/best``, a short legend goes inside the plot area, in the corner
    /// where it hides no point or line (top-right, then top-left, bottom-right, bottom-left, as
    /// matplotlib's "best" does). One that would hide data there, or fill more than half the
    /// area's width or height, or one placed ``LegendPlacement/below``, goes below the plot, in as many columns as the canvas's width takes, and the canvas
    /// grows to hold it: every series stays named and no curve is covered, for any number of
    /// series. A label too wide for its column is shortened in the middle (``fitted(_:width:fontSize:)``).
    struct Legend {
        struct Entry {
            /// The series' index in ``SVGPlot/series``.
            var index: Int
            /// The label as drawn, shortened to fit.
            var text: String
        }

        /// The entries in drawing order, column by column.
        let entries: [Entry]
        /// The box's top-left corner and size, in the plot's pixels.
        let x: Double, y: Double, width: Double, height: Double
        /// Entries per column and the width of one column.
        let rows: Int, columnWidth: Double
        /// The pixels the canvas grows by below the plot's own ``SVGPlot/height``: 0 for a legend inside the plot area.
        let extraHeight: Double

        static let rowHeight = 18.0
        static let swatchWidth = 24.0
        /// From the swatch's start to the text's.
        static let textOffset = swatchWidth + 6
        /// The space between columns, and the box's padding either side.
        static let gap = 16.0, padding = 8.0
        static let fontSize = 12.0

        init?(plot: SVGPlot, layout: Layout) {
            let labelled = plot.series.indices.filter { !plot.series[$0].label.isEmpty }
            guard !labelled.isEmpty else { return nil }
            let labels = labelled.map { plot.series[$0].label }
            let textWidth = labels.map { estimatedWidth(of: $0, fontSize: Self.fontSize) }.max() ?? 0
            let inside = (width: 2 * Self.padding + Self.textOffset + textWidth, height: Self.boxHeight(rows: labelled.count))
            if plot.legendPlacement == .best, inside.width <= (layout.right - layout.left) / 2, inside.height <= (layout.bottom - layout.top) / 2,
                let corner = plot.clearCorner(layout, width: inside.width, height: inside.height)
            {
                entries = zip(labelled, labels).map { Entry(index: $0, text: $1) }
                (x, y, width, height) = (corner.x, corner.y, inside.width, inside.height)
                (rows, columnWidth, extraHeight) = (labelled.count, inside.width, 0)
                return
            }
            // Below the plot: as many columns of the widest entry as fit, and at least one,
            // shortening labels to its width.
            let room = plot.width - 2 * Self.padding
            let widest = Self.textOffset + textWidth + Self.gap
            let columns = max(1, min(labelled.count, Int((room + Self.gap - 2 * Self.padding) / widest)))
            columnWidth = min(widest, (room + Self.gap - 2 * Self.padding) / Double(columns))
            rows = (labelled.count + columns - 1) / columns
            // Only a column narrower than the widest entry shortens labels.
            let textRoom = columnWidth < widest ? columnWidth - Self.gap - Self.textOffset : .infinity
            entries = zip(labelled, labels).map { Entry(index: $0, text: fitted($1, width: textRoom, fontSize: Self.fontSize)) }
            width = Double(columns) * columnWidth - Self.gap + 2 * Self.padding
            height = Self.boxHeight(rows: rows)
            x = (plot.width - width) / 2
            y = plot.height
            extraHeight = height + Self.padding
        }

        private static func boxHeight(rows: Int) -> Double {
            Self.padding + rowHeight * Double(rows)
        }
    }

    func renderLegend(_ legend: Legend) -> String {
        var svg = "<g class=\"legend\">\n"
        svg += "<rect x=\"\(coordinate(legend.x))\" y=\"\(coordinate(legend.y))\" width=\"\(coordinate(legend.width))\" "
            + "height=\"\(coordinate(legend.height))\" fill=\"white\" fill-opacity=\"0.85\" stroke=\"#cccccc\"/>\n"
        for (position, entry) in legend.entries.enumerated() {
            let x = legend.x + Legend.padding + Double(position / legend.rows) * legend.columnWidth
            let y = legend.y + 13 + Legend.rowHeight * Double(position % legend.rows)
            let color = escapeXML(color(of: entry.index))
            if series[entry.index].style != .scatter {
                svg += "<line x1=\"\(coordinate(x))\" y1=\"\(coordinate(y))\" x2=\"\(coordinate(x + Legend.swatchWidth))\" "
                    + "y2=\"\(coordinate(y))\" stroke=\"\(color)\" stroke-width=\"2\"\(dashAttribute(of: entry.index))/>\n"
            }
            if series[entry.index].style != .line {
                svg += "<circle cx=\"\(coordinate(x + Legend.swatchWidth / 2))\" cy=\"\(coordinate(y))\" r=\"3\" fill=\"\(color)\"/>\n"
            }
            let text = "<text x=\"\(coordinate(x + Legend.textOffset))\" y=\"\(coordinate(y))\" dominant-baseline=\"middle\">"
                + "\(escapeXML(entry.text))</text>"
            svg += withFullText(series[entry.index].label, shown: entry.text, text) + "\n"
        }
        return svg + "</g>\n"
    }

    /// The top-left corner of the first corner box of the plot area, in matplotlib's "best"
    /// order, that hides no point or line; nil when each would hide some.
    private func clearCorner(_ layout: Layout, width: Double, height: Double) -> (x: Double, y: Double)? {
        let corners = [
            (x: layout.right - width - 8, y: layout.top + 8), (x: layout.left + 8, y: layout.top + 8),
            (x: layout.right - width - 8, y: layout.bottom - height - 8), (x: layout.left + 8, y: layout.bottom - height - 8),
        ]
        var samples: [(Double, Double)] = []
        for entry in series {
            let points = zip(entry.x, entry.y).filter { $0.0.isFinite && $0.1.isFinite }
                .map { (layout.px($0.0), layout.py($0.1)) }
            samples += points
            guard entry.style != .scatter else { continue }
            for (start, end) in zip(points, points.dropFirst()) {
                // A sample every 4 pixels along the segment, so no line slips between samples.
                let length = ((end.0 - start.0) * (end.0 - start.0) + (end.1 - start.1) * (end.1 - start.1)).squareRoot()
                let steps = min(1000, max(1, Int(length / 4)))
                samples += (1..<steps).map { step in
                    let t = Double(step) / Double(steps)
                    return (start.0 + t * (end.0 - start.0), start.1 + t * (end.1 - start.1))
                }
            }
        }
        return corners.first { corner in
            !samples.contains { point in
                (corner.x - 4...corner.x + width + 4).contains(point.0) && (corner.y - 4...corner.y + height + 4).contains(point.1)
            }
        }
    }
}
