extension JSONValue {
    /// How encoded JSON is laid out.
    public enum Style: Sendable {
        /// Two-space indent, one member or element per line, except that an array of scalars
        /// stays on one line (`[0.5, 0.25]`); ends with a newline. For report files.
        case pretty
        /// One line with a space after each `,` and `:` (`{"x": [1, 2]}`), no final newline. For
        /// output that is printed or embedded, such as `swiftgrad grad --json`.
        case singleLine
    }

    /// What to do with NaN and infinity, which JSON cannot represent.
    public enum NonFiniteNumbers: Sendable {
        /// Throw a ``JSONEncodingError`` naming the value's key path. The default: a diverged
        /// loss should be noticed, not hidden.
        case reject
        /// Write `null`, for output that must be produced even after divergence; a caller opts
        /// into it by name.
        case writeNull
    }

    /// The value as JSON text.
    ///
    /// Members are written in the objects' order; numbers as their literals (see
    /// ``JSONNumber``); strings as by ``quoted(_:)``.
    ///
    /// - Parameters:
    ///   - style: the layout; pretty by default.
    ///   - nonFinite: what to do with NaN and infinity; rejected by default.
    /// - Returns: the JSON text.
    /// - Throws: ``JSONEncodingError`` for a non-finite number under `.reject`, e.g.
    ///   `cannot write nan at 'history[3].loss' as JSON: JSON has no NaN or infinity`. Nothing
    ///   else can fail, so under `.writeNull` it never throws.
    ///
    /// ```swift
    /// let value: JSONValue = ["loss": [0.5, 0.25]]
    /// try value.encoded()              // {\n  "loss": [0.5, 0.25]\n}\n
    /// try value.encoded(.singleLine)   // {"loss": [0.5, 0.25]}
    /// ```
    public func encoded(
        _ style: Style = .pretty, nonFinite: NonFiniteNumbers = .reject
    ) throws(JSONEncodingError) -> String {
        var output = ""
        switch style {
        case .pretty:
            try appendPretty(to: &output, indent: "", nonFinite)
            output += "\n"
        case .singleLine:
            try appendSingleLine(to: &output, nonFinite)
        }
        return output
    }

    /// `text` as a JSON string literal, the one escaper of the code base.
    ///
    /// `"` and `\` are escaped; so is every control character U+0000–U+001F, as `\n`, `\r`,
    /// `\t`, `\b`, `\f` where JSON has a short form and as `\u001B` (upper-case hex) otherwise.
    /// Everything else is written as itself, in UTF-8: DEL, non-ASCII letters, emoji, and
    /// U+2028/U+2029, which RFC 8259 allows unescaped (only JavaScript before ES2019 did not).
    ///
    /// - Parameter text: the string.
    /// - Returns: the literal, quotes included.
    ///
    /// ```swift
    /// JSONValue.quoted("tab\t\"é\"\u{1}") == #""tab\t\"é\"\u0001""#  // true
    /// ```
    public static func quoted(_ text: some StringProtocol) -> String {
        var output = ""
        appendQuoted(text, to: &output)
        return output
    }

    private static func appendQuoted(_ text: some StringProtocol, to output: inout String) {
        // One non-generic pass over contiguous UTF-8: strings of any length (a saved model's
        // description inside a checkpoint's metadata, say) cost a scan and a few copies.
        var text = String(text)
        text.withUTF8 { appendQuoted(utf8: $0, to: &output) }
    }

    private static func appendQuoted(utf8 bytes: UnsafeBufferPointer<UInt8>, to output: inout String) {
        // The literal is assembled as bytes and decoded once. Escaping works byte by byte:
        // UTF-8 sequences never contain a byte below 0x80, so no character is split.
        var literal: [UInt8] = []
        literal.reserveCapacity(bytes.count + 2)
        literal.append(UInt8(ascii: "\""))
        for byte in bytes {
            let short: UInt8
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"): short = byte
            case UInt8(ascii: "\n"): short = UInt8(ascii: "n")
            case UInt8(ascii: "\r"): short = UInt8(ascii: "r")
            case UInt8(ascii: "\t"): short = UInt8(ascii: "t")
            case 0x08: short = UInt8(ascii: "b")
            case 0x0C: short = UInt8(ascii: "f")
            case ..<0x20: short = UInt8(ascii: "u")
            default:
                literal.append(byte)
                continue
            }
            literal.append(UInt8(ascii: "\\"))
            literal.append(short)
            if short == UInt8(ascii: "u") {
                literal.append(UInt8(ascii: "0"))
                literal.append(UInt8(ascii: "0"))
                literal.append(hexDigit(byte >> 4))
                literal.append(hexDigit(byte & 0xF))
            }
        }
        literal.append(UInt8(ascii: "\""))
        output += String(decoding: literal, as: UTF8.self)
    }

    /// The upper-case hex digit of `value`, which is below 16.
    private static func hexDigit(_ value: UInt8) -> UInt8 {
        value < 10 ? UInt8(ascii: "0") + value : UInt8(ascii: "A") + value - 10
    }

    private var isScalar: Bool {
        switch kind {
        case .array, .object: false
        default: true
        }
    }

    private func appendPretty(
        to output: inout String, indent: String, _ nonFinite: NonFiniteNumbers
    ) throws(JSONEncodingError) {
        switch kind {
        case .array(let elements) where !elements.isEmpty && !elements.allSatisfy(\.isScalar):
            let inner = indent + "  "
            output += "[\n"
            for (index, element) in elements.enumerated() {
                output += inner
                do throws(JSONEncodingError) {
                    try element.appendPretty(to: &output, indent: inner, nonFinite)
                } catch {
                    throw error.inside(.index(index))
                }
                output += index == elements.count - 1 ? "\n" : ",\n"
            }
            output += indent + "]"
        case .object(let object) where !object.members.isEmpty:
            let inner = indent + "  "
            output += "{\n"
            for (index, member) in object.members.enumerated() {
                output += inner
                Self.appendQuoted(member.key, to: &output)
                output += ": "
                do throws(JSONEncodingError) {
                    try member.value.appendPretty(to: &output, indent: inner, nonFinite)
                } catch {
                    throw error.inside(.key(member.key))
                }
                output += index == object.members.count - 1 ? "\n" : ",\n"
            }
            output += indent + "}"
        default:
            // Scalars, empty containers and arrays of scalars read the same on one line.
            try appendSingleLine(to: &output, nonFinite)
        }
    }

    private func appendSingleLine(to output: inout String, _ nonFinite: NonFiniteNumbers) throws(JSONEncodingError) {
        switch kind {
        case .null:
            output += "null"
        case .bool(let value):
            output += value ? "true" : "false"
        case .number(let number):
            if number.isFinite {
                output += number.literal
            } else if case .writeNull = nonFinite {
                output += "null"
            } else {
                throw JSONEncodingError(number: number.literal)
            }
        case .string(let text):
            Self.appendQuoted(text, to: &output)
        case .array(let elements):
            output += "["
            for (index, element) in elements.enumerated() {
                if index > 0 { output += ", " }
                do throws(JSONEncodingError) {
                    try element.appendSingleLine(to: &output, nonFinite)
                } catch {
                    throw error.inside(.index(index))
                }
            }
            output += "]"
        case .object(let object):
            output += "{"
            for (index, member) in object.members.enumerated() {
                if index > 0 { output += ", " }
                Self.appendQuoted(member.key, to: &output)
                output += ": "
                do throws(JSONEncodingError) {
                    try member.value.appendSingleLine(to: &output, nonFinite)
                } catch {
                    throw error.inside(.key(member.key))
                }
            }
            output += "}"
        }
    }
}

/// A value prints as its JSON text on one line (`print(model.architecture)` shows
/// `{"type": "mlp", …}`), a non-finite number as `null`.
extension JSONValue: CustomStringConvertible {
    public var description: String {
        // Under `.writeNull` encoding cannot fail.
        (try? encoded(.singleLine, nonFinite: .writeNull)) ?? ""
    }
}
