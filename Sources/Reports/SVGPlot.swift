import Storage
/// A small figure in SVG: lines and scatter points on shared axes, with round-number ticks,
/// axis labels, a title and a legend.
///
/// The legend sits in a free corner of the plot area when it is small and hides no data there,
/// and below the plot, in columns, otherwise; the canvas then grows taller than ``height`` to
/// hold it. Labels and titles too wide for their room are shortened in the middle with `…`,
/// the whole text kept in a `<title>` that viewers show on hover.
///
/// It covers the project's figures, e.g. data with a fitted line (matplotlib's `scatter` plus
/// `plot`), a loss curve, or speed-up against workers. The output is standalone SVG 1.1, valid
/// XML with all text escaped, and deterministic: the same plot gives the same bytes. Points with
/// a NaN or infinite coordinate are skipped, and a line breaks there.
///
/// ```swift
/// var plot = SVGPlot(title: "Linear fit", xLabel: "x", yLabel: "y")
/// plot.scatter(x: xs, y: ys, label: "data")
/// plot.line(x: [0, 1], y: [b, w + b], label: "fit")
/// try plot.write(to: "out/fit.svg")
/// ```
public struct SVGPlot: Sendable {
    /// How a series is drawn.
    public enum Style: Sendable, Equatable {
        /// Points joined by straight segments.
        case line
        /// Unjoined points.
        case scatter
        /// Points joined by segments, each point marked.
        case lineWithMarkers
    }

    /// Where the legend goes.
    public enum LegendPlacement: Sendable, Equatable {
        /// In a corner of the plot area where it hides no data, when it is small enough;
        /// below the plot otherwise.
        case best
        /// Below the plot, always: figures set side by side then look alike whatever their data.
        case below
    }

    /// One labelled set of points.
    public struct Series: Sendable, Equatable {
        /// The legend text; an empty label leaves the series out of the legend.
        public var label: String
        public var x: [Double]
        public var y: [Double]
        public var style: Style
        /// A CSS colour; `nil` takes the next colour of the default palette.
        public var color: String?
    }

    /// The matplotlib "tab10" colours, so figures look familiar next to Python ones.
    public static let palette = [
        "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
    ]

    /// The dash patterns (SVG `stroke-dasharray`) of lines, one per round of ``palette``: solid,
    /// dashed, dotted, dash-dot, short dashes, dash-dot-dot. The 60 series before the first
    /// repeat of colour and pattern together are told apart by line, and in the legend, which
    /// draws each line's pattern.
    public static let dashPatterns = ["", "7 4", "2 3", "9 3 2 3", "4 4", "12 3 2 3 2 3"]

    public var title: String
    public var xLabel: String
    public var yLabel: String
    /// The figure's size in pixels; a legend too big for the plot area adds to the height.
    public var width: Double
    public var height: Double
    /// Fixed axis ranges; `nil` fits the data and widens to round ticks.
    public var xRange: ClosedRange<Double>?
    public var yRange: ClosedRange<Double>?
    /// Where the legend goes; ``LegendPlacement/best`` unless set.
    public var legendPlacement = LegendPlacement.best
    /// The series in drawing order.
    public private(set) var series: [Series] = []

    /// Creates an empty plot.
    ///
    /// - Parameters:
    ///   - title: the text above the plot.
    ///   - xLabel: the text under the x axis.
    ///   - yLabel: the text beside the y axis.
    ///   - width: the figure's width in pixels.
    ///   - height: the figure's height in pixels.
    public init(title: String = "", xLabel: String = "", yLabel: String = "", width: Double = 640, height: Double = 420) {
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.width = width
        self.height = height
    }

    /// Adds unjoined points.
    ///
    /// - Parameters:
    ///   - x: the x coordinates.
    ///   - y: the y coordinates; as many as `x`.
    ///   - label: the legend text.
    ///   - color: a CSS colour, or `nil` for the palette's next.
    ///
    /// ```swift
    /// plot.scatter(x: [1, 2, 3], y: [2, 4, 5], label: "data")
    /// ```
    public mutating func scatter(x: [Double], y: [Double], label: String = "", color: String? = nil) {
        add(Series(label: label, x: x, y: y, style: .scatter, color: color))
    }

    /// Adds points joined by segments.
    ///
    /// - Parameters:
    ///   - x: the x coordinates.
    ///   - y: the y coordinates; as many as `x`.
    ///   - label: the legend text.
    ///   - color: a CSS colour, or `nil` for the palette's next.
    ///   - markers: whether to mark each point too.
    ///
    /// ```swift
    /// plot.line(x: [1, 2, 4, 8], y: [1, 1.9, 3.6, 6.5], label: "speed-up", markers: true)
    /// ```
    public mutating func line(x: [Double], y: [Double], label: String = "", color: String? = nil, markers: Bool = false) {
        add(Series(label: label, x: x, y: y, style: markers ? .lineWithMarkers : .line, color: color))
    }

    private mutating func add(_ new: Series) {
        precondition(new.x.count == new.y.count, "SVGPlot series '\(new.label)' has \(new.x.count) x values but \(new.y.count) y values")
        series.append(new)
    }

    /// Writes the figure atomically.
    ///
    /// - Parameter path: the destination; its directory must exist.
    /// - Throws: `FileError` from `AtomicFile`.
    public func write(to path: String) throws {
        try AtomicFile.write(rendered(), to: path)
    }
}
