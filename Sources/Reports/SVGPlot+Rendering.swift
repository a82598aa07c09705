extension SVGPlot {
    /// The figure as SVG text.
    ///
    /// - Returns: a standalone SVG document, ending in a newline.
    ///
    /// ```swift
    /// let svg = plot.rendered()   // "<?xml version=\"1.0\" ...><svg ...>...</svg>\n"
    /// ```
    public func rendered() -> String {
        Self.document(width: width, height: height, content: content(clipID: "plot-area"))
    }

    /// A standalone SVG document of `width` × `height` pixels around `content`.
    static func document(width: Double, height: Double, content: String) -> String {
        """
        <?xml version="1.0" encoding="UTF-8"?>
        <svg xmlns="http://www.w3.org/2000/svg" width="\(coordinate(width))" height="\(coordinate(height))" \
        viewBox="0 0 \(coordinate(width)) \(coordinate(height))" font-family="DejaVu Sans, Arial, sans-serif" font-size="12">

        """ + content + "</svg>\n"
    }

    /// The figure's elements, in its own pixel coordinates; `clipID` names the clip path of the
    /// plot area, unique within the document.
    func content(clipID: String) -> String {
        let layout = Layout(plot: self)
        var svg = "<rect width=\"\(coordinate(width))\" height=\"\(coordinate(height))\" fill=\"white\"/>\n"
        svg += "<defs><clipPath id=\"\(clipID)\"><rect x=\"\(coordinate(layout.left))\" y=\"\(coordinate(layout.top))\" "
            + "width=\"\(coordinate(layout.right - layout.left))\" height=\"\(coordinate(layout.bottom - layout.top))\"/></clipPath></defs>\n"
        svg += renderAxes(layout)
        svg += renderSeries(layout, clipID: clipID)
        svg += renderLegend(layout)
        svg += renderLabels(layout)
        return svg
    }

    /// Where everything goes: the plot area in pixels and the data domain it shows.
    struct Layout {
        let left: Double, right: Double, top: Double, bottom: Double
        let xDomain: ClosedRange<Double>, yDomain: ClosedRange<Double>
        let xTicks: AxisTicks, yTicks: AxisTicks

        init(plot: SVGPlot) {
            left = plot.yLabel.isEmpty ? 56 : 72
            right = plot.width - 20
            top = plot.title.isEmpty ? 20 : 44
            bottom = plot.height - (plot.xLabel.isEmpty ? 36 : 56)
            let points = plot.series.flatMap { zip($0.x, $0.y) }.filter { $0.0.isFinite && $0.1.isFinite }
            (xDomain, xTicks) = Self.axis(fixed: plot.xRange, data: points.map(\.0))
            (yDomain, yTicks) = Self.axis(fixed: plot.yRange, data: points.map(\.1))
        }

        private static func axis(fixed: ClosedRange<Double>?, data: [Double]) -> (ClosedRange<Double>, AxisTicks) {
            if let fixed, fixed.upperBound > fixed.lowerBound {
                return (fixed, AxisTicks(covering: fixed))
            }
            guard let low = data.min(), let high = data.max() else {
                return AxisTicks.niceDomain(for: 0...1)
            }
            return AxisTicks.niceDomain(for: low...high)
        }

        func px(_ x: Double) -> Double {
            left + (x - xDomain.lowerBound) / (xDomain.upperBound - xDomain.lowerBound) * (right - left)
        }

        func py(_ y: Double) -> Double {
            bottom - (y - yDomain.lowerBound) / (yDomain.upperBound - yDomain.lowerBound) * (bottom - top)
        }
    }

    private func renderAxes(_ layout: Layout) -> String {
        var grid = "<g class=\"grid\" stroke=\"#e6e6e6\" stroke-width=\"1\">\n"
        var axes = "<g class=\"axes\" stroke=\"#333333\" stroke-width=\"1\">\n"
        var labels = "<g class=\"tick-labels\" fill=\"#333333\">\n"
        for (value, label) in zip(layout.xTicks.values, layout.xTicks.labels) {
            let x = coordinate(layout.px(value))
            grid += "<line x1=\"\(x)\" y1=\"\(coordinate(layout.top))\" x2=\"\(x)\" y2=\"\(coordinate(layout.bottom))\"/>\n"
            axes += "<line x1=\"\(x)\" y1=\"\(coordinate(layout.bottom))\" x2=\"\(x)\" y2=\"\(coordinate(layout.bottom + 5))\"/>\n"
            labels += "<text x=\"\(x)\" y=\"\(coordinate(layout.bottom + 18))\" text-anchor=\"middle\">\(escapeXML(label))</text>\n"
        }
        for (value, label) in zip(layout.yTicks.values, layout.yTicks.labels) {
            let y = coordinate(layout.py(value))
            grid += "<line x1=\"\(coordinate(layout.left))\" y1=\"\(y)\" x2=\"\(coordinate(layout.right))\" y2=\"\(y)\"/>\n"
            axes += "<line x1=\"\(coordinate(layout.left - 5))\" y1=\"\(y)\" x2=\"\(coordinate(layout.left))\" y2=\"\(y)\"/>\n"
            labels += "<text x=\"\(coordinate(layout.left - 8))\" y=\"\(y)\" text-anchor=\"end\" dominant-baseline=\"middle\">"
                + "\(escapeXML(label))</text>\n"
        }
        axes += "<rect x=\"\(coordinate(layout.left))\" y=\"\(coordinate(layout.top))\" width=\"\(coordinate(layout.right - layout.left))\" "
            + "height=\"\(coordinate(layout.bottom - layout.top))\" fill=\"none\"/>\n"
        return grid + "</g>\n" + axes + "</g>\n" + labels + "</g>\n"
    }

    private func color(of index: Int) -> String {
        series[index].color ?? Self.palette[index % Self.palette.count]
    }

    private func renderSeries(_ layout: Layout, clipID: String) -> String {
        var svg = "<g class=\"series\" clip-path=\"url(#\(clipID))\">\n"
        for (index, entry) in series.enumerated() {
            let color = escapeXML(color(of: index))
            if entry.style != .scatter {
                var segment: [String] = []
                func flush() {
                    if segment.count > 1 {
                        svg += "<polyline points=\"\(segment.joined(separator: " "))\" fill=\"none\" "
                            + "stroke=\"\(color)\" stroke-width=\"2\" stroke-linejoin=\"round\"/>\n"
                    }
                    segment.removeAll()
                }
                for (x, y) in zip(entry.x, entry.y) {
                    if x.isFinite && y.isFinite {
                        segment.append("\(coordinate(layout.px(x))),\(coordinate(layout.py(y)))")
                    } else {
                        flush()
                    }
                }
                flush()
            }
            if entry.style != .line {
                let radius = entry.style == .scatter ? "3" : "2.5"
                for (x, y) in zip(entry.x, entry.y) where x.isFinite && y.isFinite {
                    svg += "<circle cx=\"\(coordinate(layout.px(x)))\" cy=\"\(coordinate(layout.py(y)))\" r=\"\(radius)\" fill=\"\(color)\"/>\n"
                }
            }
        }
        return svg + "</g>\n"
    }

    private func renderLegend(_ layout: Layout) -> String {
        let entries = series.indices.filter { !series[$0].label.isEmpty }
        guard !entries.isEmpty else { return "" }
        let longest = entries.map { series[$0].label.count }.max() ?? 0
        let boxWidth = 40 + 7 * Double(longest)
        let boxHeight = 8 + 18 * Double(entries.count)
        let (x, y) = legendCorner(layout, width: boxWidth, height: boxHeight)
        var svg = "<g class=\"legend\">\n"
        svg += "<rect x=\"\(coordinate(x))\" y=\"\(coordinate(y))\" width=\"\(coordinate(boxWidth))\" height=\"\(coordinate(boxHeight))\" "
            + "fill=\"white\" fill-opacity=\"0.85\" stroke=\"#cccccc\"/>\n"
        for (row, index) in entries.enumerated() {
            let rowY = y + 13 + 18 * Double(row)
            let color = escapeXML(color(of: index))
            if series[index].style != .scatter {
                svg += "<line x1=\"\(coordinate(x + 8))\" y1=\"\(coordinate(rowY))\" x2=\"\(coordinate(x + 28))\" y2=\"\(coordinate(rowY))\" "
                    + "stroke=\"\(color)\" stroke-width=\"2\"/>\n"
            }
            if series[index].style != .line {
                svg += "<circle cx=\"\(coordinate(x + 18))\" cy=\"\(coordinate(rowY))\" r=\"3\" fill=\"\(color)\"/>\n"
            }
            svg += "<text x=\"\(coordinate(x + 34))\" y=\"\(coordinate(rowY))\" dominant-baseline=\"middle\">"
                + "\(escapeXML(series[index].label))</text>\n"
        }
        return svg + "</g>\n"
    }

    /// The corner of the plot area whose legend box would hide the fewest points, preferring
    /// top-right, then top-left, bottom-right, bottom-left, as matplotlib's "best" does.
    private func legendCorner(_ layout: Layout, width: Double, height: Double) -> (Double, Double) {
        let corners = [
            (layout.right - width - 8, layout.top + 8), (layout.left + 8, layout.top + 8),
            (layout.right - width - 8, layout.bottom - height - 8), (layout.left + 8, layout.bottom - height - 8),
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
        func hidden(_ corner: (Double, Double)) -> Int {
            samples.count { point in
                (corner.0 - 4...corner.0 + width + 4).contains(point.0)
                    && (corner.1 - 4...corner.1 + height + 4).contains(point.1)
            }
        }
        return corners.min { hidden($0) < hidden($1) } ?? corners[0]
    }

    private func renderLabels(_ layout: Layout) -> String {
        var svg = ""
        let centerX = coordinate((layout.left + layout.right) / 2)
        if !title.isEmpty {
            svg += "<text class=\"title\" x=\"\(centerX)\" y=\"26\" text-anchor=\"middle\" font-size=\"15\">"
                + "\(escapeXML(title))</text>\n"
        }
        if !xLabel.isEmpty {
            svg += "<text class=\"x-label\" x=\"\(centerX)\" y=\"\(coordinate(height - 14))\" text-anchor=\"middle\">"
                + "\(escapeXML(xLabel))</text>\n"
        }
        if !yLabel.isEmpty {
            let centerY = coordinate((layout.top + layout.bottom) / 2)
            svg += "<text class=\"y-label\" x=\"18\" y=\"\(centerY)\" text-anchor=\"middle\" "
                + "transform=\"rotate(-90 18 \(centerY))\">\(escapeXML(yLabel))</text>\n"
        }
        return svg
    }
}

/// A pixel coordinate with at most two decimals and no trailing zeros, formatted without locale
/// or `printf` so the bytes never vary.
func coordinate(_ value: Double) -> String {
    let clamped = min(max(value, -1e9), 1e9)
    let hundredths = Int((clamped * 100).rounded())
    let sign = hundredths < 0 ? "-" : ""
    let whole = abs(hundredths) / 100
    let fraction = abs(hundredths) % 100
    if fraction == 0 { return sign + String(whole) }
    if fraction % 10 == 0 { return "\(sign)\(whole).\(fraction / 10)" }
    return "\(sign)\(whole).\(fraction < 10 ? "0" : "")\(fraction)"
}

/// Text made safe for XML content and attribute values; characters XML 1.0 forbids become U+FFFD.
func escapeXML(_ text: String) -> String {
    var output = ""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "&": output += "&amp;"
        case "<": output += "&lt;"
        case ">": output += "&gt;"
        case "\"": output += "&quot;"
        case "'": output += "&apos;"
        case "\t", "\n", "\r": output.unicodeScalars.append(scalar)
        case _ where scalar.value < 0x20 || scalar.value == 0xFFFE || scalar.value == 0xFFFF:
            output += "\u{FFFD}"
        default: output.unicodeScalars.append(scalar)
        }
    }
    return output
}
