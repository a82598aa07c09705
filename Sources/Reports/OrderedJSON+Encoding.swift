import Storage
import Foundation

extension OrderedJSON {
    /// What to do with NaN and infinity, which JSON cannot represent.
    public enum NonFiniteNumbers: Sendable {
        /// Throw a `ReportError` naming the value's key path. The default: a diverged loss
        /// should be noticed, not hidden.
        case reject
        /// Write `null`, for reports that must be produced even after divergence.
        case writeNull
    }

    /// The value as pretty JSON: two-space indent, keys in insertion order, arrays of scalars on
    /// one line, and a final newline.
    ///
    /// - Parameter nonFinite: what to do with NaN and infinity.
    /// - Returns: the JSON text.
    /// - Throws: `ReportError` for a non-finite number under `.reject`, e.g.
    ///   `cannot write nan at 'history[3].loss' as JSON: JSON has no NaN or infinity`.
    ///
    /// ```swift
    /// let text = try OrderedJSON.object(["loss": [0.5, 0.25]]).encoded()
    /// // {\n  "loss": [0.5, 0.25]\n}\n
    /// ```
    public func encoded(nonFinite: NonFiniteNumbers = .reject) throws -> String {
        var output = ""
        try append(to: &output, indent: "", path: [], nonFinite: nonFinite)
        output += "\n"
        return output
    }

    /// Writes the value as pretty JSON, atomically.
    ///
    /// - Parameters:
    ///   - path: the destination; its directory must exist.
    ///   - nonFinite: what to do with NaN and infinity.
    /// - Throws: `ReportError` from ``encoded(nonFinite:)`` or ``AtomicFile``.
    ///
    /// ```swift
    /// try OrderedJSON.object(["epochs": 3]).write(to: "out/report.json")
    /// ```
    public func write(to path: String, nonFinite: NonFiniteNumbers = .reject) throws {
        try AtomicFile.write(try encoded(nonFinite: nonFinite), to: path)
    }

    private var isScalar: Bool {
        switch self {
        case .array, .object: false
        default: true
        }
    }

    private func append(to output: inout String, indent: String, path: [String], nonFinite: NonFiniteNumbers) throws {
        switch self {
        case .null: output += "null"
        case .bool(let value): output += value ? "true" : "false"
        case .int(let value): output += String(value)
        case .double(let value):
            try appendNumber(value.isFinite ? value.description : nil, value.description, to: &output, path: path, nonFinite)
        case .float(let value):
            try appendNumber(value.isFinite ? value.description : nil, value.description, to: &output, path: path, nonFinite)
        case .string(let value): appendString(value, to: &output)
        case .array(let elements):
            if elements.isEmpty {
                output += "[]"
            } else if elements.allSatisfy(\.isScalar) {
                output += "["
                for (index, element) in elements.enumerated() {
                    if index > 0 { output += ", " }
                    try element.append(to: &output, indent: indent, path: path + ["[\(index)]"], nonFinite: nonFinite)
                }
                output += "]"
            } else {
                let inner = indent + "  "
                output += "[\n"
                for (index, element) in elements.enumerated() {
                    output += inner
                    try element.append(to: &output, indent: inner, path: path + ["[\(index)]"], nonFinite: nonFinite)
                    output += index == elements.count - 1 ? "\n" : ",\n"
                }
                output += indent + "]"
            }
        case .object(let object):
            if object.members.isEmpty {
                output += "{}"
                return
            }
            let inner = indent + "  "
            output += "{\n"
            for (index, member) in object.members.enumerated() {
                output += inner
                appendString(member.key, to: &output)
                output += ": "
                let step = path.isEmpty ? member.key : "." + member.key
                try member.value.append(to: &output, indent: inner, path: path + [step], nonFinite: nonFinite)
                output += index == object.members.count - 1 ? "\n" : ",\n"
            }
            output += indent + "}"
        }
    }

    private func appendNumber(
        _ finite: String?, _ shown: String, to output: inout String, path: [String], _ nonFinite: NonFiniteNumbers
    ) throws {
        if let finite {
            output += finite
            return
        }
        switch nonFinite {
        case .writeNull:
            output += "null"
        case .reject:
            let place = path.isEmpty ? "the top level" : "'\(path.joined())'"
            throw ReportError("cannot write \(shown) at \(place) as JSON: JSON has no NaN or infinity")
        }
    }

    private func appendString(_ text: String, to output: inout String) {
        output += "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": output += "\\\""
            case "\\": output += "\\\\"
            case "\n": output += "\\n"
            case "\r": output += "\\r"
            case "\t": output += "\\t"
            case "\u{8}": output += "\\b"
            case "\u{C}": output += "\\f"
            case _ where scalar.value < 0x20:
                let digits = String(scalar.value, radix: 16, uppercase: true)
                output += "\\u" + String(repeating: "0", count: 4 - digits.count) + digits
            default:
                output.unicodeScalars.append(scalar)
            }
        }
        output += "\""
    }
}
