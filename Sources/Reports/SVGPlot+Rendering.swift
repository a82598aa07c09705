extension SVGPlot {
    /// The figure as SVG text.
    ///
    /// - Returns: a standalone SVG document, ending in a newline.
    ///
    /// ```swift
    /// let svg = plot.rendered()   // "<?xml version=\"1.0\" ...><svg ...>...</svg>\n"
    /// ```
    public func rendered() -> String {
        let (content, height) = content(clipID: "plot-area")
        return Self.document(width: width, height: height, content: content)
    }

    /// A standalone SVG document of `width` × `height` pixels around `content`.
    static func document(width: Double, height: Double, content: String) -> String {
        """
        <?xml version="1.0" encoding="UTF-8"?>
        <svg xmlns="http://www.w3.org/2000/svg" width="\(coordinate(width))" height="\(coordinate(height))" \
        viewBox="0 0 \(coordinate(width)) \(coordinate(height))" font-family="DejaVu Sans, Arial, sans-serif" font-size="12">

        """ + content + "</svg>\n"
    }

    /// The figure's elements, in its own pixel coordinates, and the height they take: ``height``
    /// plus the room of a legend drawn below the plot. `clipID` names the clip path of the plot
    /// area, unique within the document.
    func content(clipID: String) -> (svg: String, height: Double) {
        let layout = Layout(plot: self)
        let legend = Legend(plot: self, layout: layout)
        let canvasHeight = height + (legend?.extraHeight ?? 0)
        var svg = "<rect width=\"\(coordinate(width))\" height=\"\(coordinate(canvasHeight))\" fill=\"white\"/>\n"
        svg += "<defs><clipPath id=\"\(clipID)\"><rect x=\"\(coordinate(layout.left))\" y=\"\(coordinate(layout.top))\" "
            + "width=\"\(coordinate(layout.right - layout.left))\" height=\"\(coordinate(layout.bottom - layout.top))\"/></clipPath></defs>\n"
        svg += renderAxes(layout)
        svg += renderSeries(layout, clipID: clipID)
        svg += legend.map(renderLegend) ?? ""
        svg += renderLabels(layout)
        return (svg, canvasHeight)
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

    /// The series' own colour, or the palette's colour for its index.
    func color(of index: Int) -> String {
        series[index].color ?? Self.palette[index % Self.palette.count]
    }

    /// The ` stroke-dasharray` attribute of the series' line: none for the first round of the
    /// palette, then the next of ``dashPatterns`` for each round, so that series 1 and 11 differ.
    func dashAttribute(of index: Int) -> String {
        let pattern = Self.dashPatterns[(index / Self.palette.count) % Self.dashPatterns.count]
        return pattern.isEmpty ? "" : " stroke-dasharray=\"\(pattern)\""
    }

    /// `element` (a `<text>` showing `shown`), wrapped with `full` as its `<title>` when `shown`
    /// was shortened from it, so that a viewer shows the whole text on hover.
    func withFullText(_ full: String, shown: String, _ element: String) -> String {
        shown == full ? element : "<g><title>\(escapeXML(full))</title>\(element)</g>"
    }

    private func renderSeries(_ layout: Layout, clipID: String) -> String {
        var svg = "<g class=\"series\" clip-path=\"url(#\(clipID))\">\n"
        for (index, entry) in series.enumerated() {
            let color = escapeXML(color(of: index))
            if entry.style != .scatter {
                var segment: [(x: String, y: String)] = []
                func flush() {
                    if segment.count > 1 {
                        svg += "<polyline points=\"\(segment.map { "\($0.x),\($0.y)" }.joined(separator: " "))\" fill=\"none\" "
                            + "stroke=\"\(color)\" stroke-width=\"2\" stroke-linejoin=\"round\"\(dashAttribute(of: index))/>\n"
                    } else if let point = segment.first, entry.style == .line {
                        // A line of one point (a run's first epoch, not yet ended) would draw
                        // nothing: its point is a dot, which a line with markers has already.
                        svg += "<circle cx=\"\(point.x)\" cy=\"\(point.y)\" r=\"2.5\" fill=\"\(color)\"/>\n"
                    }
                    segment.removeAll()
                }
                for (x, y) in zip(entry.x, entry.y) {
                    if x.isFinite && y.isFinite {
                        segment.append((coordinate(layout.px(x)), coordinate(layout.py(y))))
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

    /// The title, and the axis labels, each shortened to the room it has: the title and the x
    /// label to twice the distance from the plot area's centre to the nearer side of the canvas,
    /// the y label to the plot area's height.
    private func renderLabels(_ layout: Layout) -> String {
        var svg = ""
        let center = (layout.left + layout.right) / 2
        let across = 2 * min(center, width - center) - 8
        func label(_ text: String, fontSize: Double, room: Double, _ element: (String) -> String) -> String {
            let shown = fitted(text, width: room, fontSize: fontSize)
            return withFullText(text, shown: shown, element(escapeXML(shown))) + "\n"
        }
        if !title.isEmpty {
            svg += label(title, fontSize: 15, room: across) {
                "<text class=\"title\" x=\"\(coordinate(center))\" y=\"26\" text-anchor=\"middle\" font-size=\"15\">\($0)</text>"
            }
        }
        if !xLabel.isEmpty {
            svg += label(xLabel, fontSize: 12, room: across) {
                "<text class=\"x-label\" x=\"\(coordinate(center))\" y=\"\(coordinate(height - 14))\" text-anchor=\"middle\">\($0)</text>"
            }
        }
        if !yLabel.isEmpty {
            let centerY = coordinate((layout.top + layout.bottom) / 2)
            svg += label(yLabel, fontSize: 12, room: layout.bottom - layout.top) {
                "<text class=\"y-label\" x=\"18\" y=\"\(centerY)\" text-anchor=\"middle\" transform=\"rotate(-90 18 \(centerY))\">\($0)</text>"
            }
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
