import Foundation

#if canImport(FoundationXML)
import FoundationXML
#endif

/// Where an SVG document of ``SVGPlot`` or ``SVGFigure`` draws its plot areas and its legends,
/// in the document's own pixels (panels nested as `<svg x= y=>` are offset to their place).
///
/// A legend's text is measured at 7.7 pixels a character (12 for one outside ASCII): the widest
/// advance of the 12-pixel DejaVu Sans the figures name for a digit or a lowercase letter other
/// than `m` and `w` (0.64 em), so that a label of those that passes the checks fits where it is
/// drawn.
public struct SVGGeometry {
    /// An axis-aligned rectangle.
    public struct Box: Equatable, CustomStringConvertible {
        public var minX, minY, maxX, maxY: Double

        public func intersects(_ other: Box) -> Bool {
            minX < other.maxX && other.minX < maxX && minY < other.maxY && other.minY < maxY
        }

        public func isInside(width: Double, height: Double) -> Bool {
            minX >= 0 && minY >= 0 && maxX <= width && maxY <= height
        }

        public var description: String { "(\(minX), \(minY))–(\(maxX), \(maxY))" }
    }

    /// One drawn element of a legend: its box, a swatch's or a label's, and the label's text.
    public struct LegendItem {
        public var box: Box
        public var text: String?
    }

    /// The root element's `width` and `height`, and its `viewBox` (`0 0 width height`).
    public let width: Double, height: Double, viewBox: String
    /// The plot areas (each clip path's rectangle).
    public let plotAreas: [Box]
    /// Every element drawn in a `<g class="legend">`: the box, the swatches, the labels.
    public let legendItems: [LegendItem]
    /// The text of every `<title>`, which viewers show on hover.
    public let titles: [String]
    /// The text of every `<text>`.
    public let texts: [String]
    /// Every element's attributes, by element name, in document order.
    public let elements: [(name: String, attributes: [String: String])]

    /// Parses `svg`; nil when it is not well-formed XML.
    public init?(_ svg: String) {
        let reader = Reader()
        let parser = XMLParser(data: Data(svg.utf8))
        parser.delegate = reader
        guard parser.parse() else { return nil }
        let root = reader.elements.first { $0.name == "svg" }?.attributes ?? [:]
        width = Double(root["width"] ?? "") ?? .nan
        height = Double(root["height"] ?? "") ?? .nan
        viewBox = root["viewBox"] ?? ""
        plotAreas = reader.plotAreas
        legendItems = reader.legendItems
        titles = reader.titles
        texts = reader.texts
        elements = reader.elements
    }

    private final class Reader: NSObject, XMLParserDelegate {
        var elements: [(name: String, attributes: [String: String])] = []
        var plotAreas: [Box] = []
        var legendItems: [LegendItem] = []
        var titles: [String] = []
        var texts: [String] = []
        /// The offset of each open element, and whether it is in a legend.
        private var stack: [(x: Double, y: Double, legend: Bool)] = [(0, 0, false)]
        private var inClipPath = false
        private var text: (x: Double, y: Double, characters: String, legend: Bool)?
        private var title: String?

        func parser(
            _ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
            attributes: [String: String] = [:]
        ) {
            elements.append((name, attributes))
            func number(_ key: String) -> Double { Double(attributes[key] ?? "") ?? 0 }
            var (x, y, legend) = stack.last!
            let depth = stack.count
            if name == "svg", depth > 1 {
                x += number("x")
                y += number("y")
            }
            legend = legend || (name == "g" && attributes["class"] == "legend")
            stack.append((x, y, legend))
            switch name {
            case "clipPath": inClipPath = true
            case "rect" where inClipPath:
                plotAreas.append(Box(minX: x + number("x"), minY: y + number("y"), maxX: x + number("x") + number("width"), maxY: y + number("y") + number("height")))
            case "rect" where legend:
                legendItems.append(LegendItem(box: Box(
                    minX: x + number("x"), minY: y + number("y"), maxX: x + number("x") + number("width"), maxY: y + number("y") + number("height"))))
            case "line" where legend:
                legendItems.append(LegendItem(box: Box(
                    minX: x + min(number("x1"), number("x2")), minY: y + min(number("y1"), number("y2")) - 1,
                    maxX: x + max(number("x1"), number("x2")), maxY: y + max(number("y1"), number("y2")) + 1)))
            case "circle" where legend:
                let r = number("r")
                legendItems.append(LegendItem(box: Box(
                    minX: x + number("cx") - r, minY: y + number("cy") - r, maxX: x + number("cx") + r, maxY: y + number("cy") + r)))
            case "text": text = (x + number("x"), y + number("y"), "", legend)
            case "title": title = ""
            default: break
            }
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) {
            if title != nil { title! += string } else { text?.characters += string }
        }

        func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
            stack.removeLast()
            switch name {
            case "clipPath": inClipPath = false
            case "title":
                titles.append(title ?? "")
                title = nil
            case "text":
                guard let text else { break }
                texts.append(text.characters)
                if text.legend {
                    let width = text.characters.reduce(0.0) { $0 + ($1.isASCII ? 7.7 : 12) }
                    legendItems.append(LegendItem(
                        box: Box(minX: text.x, minY: text.y - 7, maxX: text.x + width, maxY: text.y + 7), text: text.characters))
                }
                self.text = nil
            default: break
            }
        }
    }
}
