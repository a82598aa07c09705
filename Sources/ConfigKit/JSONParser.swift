import JSON

/// A strict RFC 8259 parser that records the position of every value and key.
///
/// It walks the text with an explicit stack instead of recursion, so deep nesting costs heap,
/// never the thread's stack, and it stops with a clear error past `maxDepth` levels. Everything
/// RFC 8259 leaves to the implementation is decided the strict way: duplicate keys, lone
/// surrogates, invalid UTF-8, comments, trailing commas and trailing text are errors.
struct JSONParser {
    private let bytes: UnsafeBufferPointer<UInt8>
    private let file: String
    private let maxDepth: Int
    private var offset = 0
    private var line = 1
    private var lineStart = 0
    /// UTF-8 continuation bytes between `lineStart` and `offset`, so columns count scalars.
    private var continuationBytesOnLine = 0

    /// An array or object whose closing bracket has not been reached yet.
    private struct Frame {
        let isObject: Bool
        let position: SourcePosition
        var elements: [JSONValue] = []
        var members: [JSONObject.Member] = []
        var indexByKey: [String: Int] = [:]
        var pendingKey = ""
        var pendingKeyPosition = SourcePosition(line: 0, column: 0)
    }

    /// Parses one JSON document.
    ///
    /// - Parameters:
    ///   - bytes: the UTF-8 text.
    ///   - file: the name used in error messages.
    ///   - maxDepth: how many arrays and objects may be open at once.
    /// - Returns: the root value.
    /// - Throws: `ConfigError` of kind `.syntax`, `.duplicateKey` or `.nestingTooDeep`.
    static func parse(_ bytes: UnsafeBufferPointer<UInt8>, file: String, maxDepth: Int) throws -> JSONValue {
        var parser = JSONParser(bytes: bytes, file: file, maxDepth: maxDepth)
        return try parser.parseDocument()
    }

    private init(bytes: UnsafeBufferPointer<UInt8>, file: String, maxDepth: Int) {
        self.bytes = bytes
        self.file = file
        self.maxDepth = maxDepth
    }

    // MARK: Positions and errors

    private var position: SourcePosition {
        SourcePosition(line: line, column: offset - lineStart - continuationBytesOnLine + 1)
    }

    private var peek: UInt8? {
        offset < bytes.count ? bytes[offset] : nil
    }

    private func syntaxError(_ message: String, at position: SourcePosition? = nil) -> ConfigError {
        ConfigError(.syntax, file: file, position: position ?? self.position, message: message)
    }

    /// How a message names the text at the current offset: `'x'`, `'True'`, `end of input`.
    private func found() -> String {
        guard offset < bytes.count else { return "end of input" }
        let byte = bytes[offset]
        if isWordByte(byte) {
            var end = offset
            while end < bytes.count, end - offset < 24, isWordByte(bytes[end]) { end += 1 }
            let word = String(decoding: UnsafeBufferPointer(rebasing: bytes[offset..<end]), as: UTF8.self)
            switch word {
            case "True", "False", "None", "Null", "TRUE", "FALSE", "NULL":
                return "'\(word)' (JSON literals are lower case: true, false, null)"
            case "NaN", "Infinity", "nan", "inf":
                return "'\(word)' (JSON has no NaN or infinity)"
            default:
                return "'\(word)'"
            }
        }
        switch byte {
        case UInt8(ascii: "/"): return "'/' (comments are not allowed in JSON)"
        case UInt8(ascii: "'"): return "\"'\" (JSON strings use double quotes)"
        case 0x21...0x7E: return "'\(Character(Unicode.Scalar(byte)))'"
        case 0..<0x20, 0x7F: return "control character U+\(hex4(UInt32(byte)))"
        default:
            var iterator = bytes[offset...].makeIterator()
            var decoder = UTF8()
            if case .scalarValue(let scalar) = decoder.decode(&iterator) {
                return "'\(Character(scalar))' (U+\(hex4(scalar.value)))"
            }
            return "invalid UTF-8 byte 0x\(String(byte, radix: 16, uppercase: true))"
        }
    }

    private func isWordByte(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
            || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
            || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: "_")
    }

    private func isDigit(_ byte: UInt8?) -> Bool {
        guard let byte else { return false }
        return (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }

    private static func keyPath(of stack: [Frame]) -> ConfigKeyPath {
        ConfigKeyPath(stack.map { $0.isObject ? .key($0.pendingKey) : .index($0.elements.count) })
    }

    // MARK: Structure

    private mutating func skipWhitespace() {
        while offset < bytes.count {
            switch bytes[offset] {
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r"):
                offset += 1
            case UInt8(ascii: "\n"):
                offset += 1
                line += 1
                lineStart = offset
                continuationBytesOnLine = 0
            default:
                return
            }
        }
    }

    private mutating func parseDocument() throws -> JSONValue {
        if bytes.count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF {
            offset = 3  // A UTF-8 byte order mark, which RFC 8259 lets a parser ignore.
            lineStart = 3
        }
        let root = try parseValue()
        skipWhitespace()
        if offset < bytes.count {
            throw syntaxError("expected end of input after the top-level value, found \(found())")
        }
        return root
    }

    private mutating func parseValue() throws -> JSONValue {
        var stack: [Frame] = []
        while true {
            skipWhitespace()
            let start = position
            guard let byte = peek else {
                throw syntaxError("expected a value, found end of input")
            }
            var value: JSONValue
            switch byte {
            case UInt8(ascii: "{"):
                try checkDepth(stack.count, at: start)
                offset += 1
                skipWhitespace()
                if peek == UInt8(ascii: "}") {
                    offset += 1
                    value = JSONValue(.object(JSONObject(members: [], indexByKey: [:])), at: start)
                } else {
                    var frame = Frame(isObject: true, position: start)
                    (frame.pendingKey, frame.pendingKeyPosition) = try parseKey(afterComma: false)
                    stack.append(frame)
                    continue
                }
            case UInt8(ascii: "["):
                try checkDepth(stack.count, at: start)
                offset += 1
                skipWhitespace()
                if peek == UInt8(ascii: "]") {
                    offset += 1
                    value = JSONValue(.array([]), at: start)
                } else {
                    stack.append(Frame(isObject: false, position: start))
                    continue
                }
            case UInt8(ascii: "\""):
                value = JSONValue(.string(try parseString()), at: start)
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                value = JSONValue(.number(try parseNumber()), at: start)
            case UInt8(ascii: "t"), UInt8(ascii: "f"), UInt8(ascii: "n"):
                value = JSONValue(try parseLiteral(), at: start)
            default:
                throw syntaxError("expected a value, found \(found())")
            }

            // A value is complete: hand it to the enclosing containers, closing those that end.
            while let top = stack.indices.last {
                skipWhitespace()
                if stack[top].isObject {
                    let key = stack[top].pendingKey
                    stack[top].indexByKey[key] = stack[top].members.count
                    stack[top].members.append(
                        JSONObject.Member(key: key, keyPosition: stack[top].pendingKeyPosition, value: value))
                    if peek == UInt8(ascii: ",") {
                        offset += 1
                        let (nextKey, keyPosition) = try parseKey(afterComma: true)
                        if let first = stack[top].indexByKey[nextKey] {
                            stack[top].pendingKey = nextKey
                            // The parser gives every key it reads a position.
                            let firstPosition = stack[top].members[first].keyPosition!
                            throw ConfigError(
                                .duplicateKey, file: file, position: keyPosition,
                                keyPath: Self.keyPath(of: stack),
                                message: "duplicate key \(quoted(nextKey)): first defined at line "
                                    + "\(firstPosition.line), column \(firstPosition.column), "
                                    + "again at line \(keyPosition.line), column \(keyPosition.column)")
                        }
                        stack[top].pendingKey = nextKey
                        stack[top].pendingKeyPosition = keyPosition
                        break
                    } else if peek == UInt8(ascii: "}") {
                        offset += 1
                        let frame = stack.removeLast()
                        value = JSONValue(
                            .object(JSONObject(members: frame.members, indexByKey: frame.indexByKey)),
                            at: frame.position)
                    } else {
                        throw syntaxError("expected ',' or '}' after object member, found \(found())")
                    }
                } else {
                    stack[top].elements.append(value)
                    if peek == UInt8(ascii: ",") {
                        offset += 1
                        skipWhitespace()
                        if peek == UInt8(ascii: "]") {
                            throw syntaxError("expected a value after ',', found ']' (trailing commas are not allowed)")
                        }
                        break
                    } else if peek == UInt8(ascii: "]") {
                        offset += 1
                        let frame = stack.removeLast()
                        value = JSONValue(.array(frame.elements), at: frame.position)
                    } else {
                        throw syntaxError("expected ',' or ']' after array element, found \(found())")
                    }
                }
            }
            if stack.isEmpty { return value }
        }
    }

    private func checkDepth(_ depth: Int, at position: SourcePosition) throws {
        if depth >= maxDepth {
            throw ConfigError(
                .nestingTooDeep, file: file, position: position,
                message: "arrays and objects are nested deeper than \(maxDepth) levels")
        }
    }

    /// Parses `"key" :` and leaves the offset at the member's value.
    private mutating func parseKey(afterComma: Bool) throws -> (String, SourcePosition) {
        skipWhitespace()
        let keyPosition = position
        guard peek == UInt8(ascii: "\"") else {
            if afterComma, peek == UInt8(ascii: "}") {
                throw syntaxError("expected a key after ',', found '}' (trailing commas are not allowed)")
            }
            throw syntaxError("expected a string key in double quotes, found \(found())")
        }
        let key = try parseString()
        skipWhitespace()
        guard peek == UInt8(ascii: ":") else {
            throw syntaxError("expected ':' after object key \(quoted(key, limit: 40)), found \(found())")
        }
        offset += 1
        return (key, keyPosition)
    }

    // MARK: Scalars

    private mutating func parseLiteral() throws -> JSONValue.Kind {
        for (text, kind) in [("true", JSONValue.Kind.bool(true)), ("false", .bool(false)), ("null", .null)] {
            let utf8 = text.utf8
            if bytes.count - offset >= utf8.count, bytes[offset..<offset + utf8.count].elementsEqual(utf8),
                !(offset + utf8.count < bytes.count && isWordByte(bytes[offset + utf8.count]))
            {
                offset += utf8.count
                return kind
            }
        }
        throw syntaxError("expected a value, found \(found())")
    }

    private mutating func parseNumber() throws -> JSONNumber {
        let begin = offset
        if peek == UInt8(ascii: "-") {
            offset += 1
            guard isDigit(peek) else { throw syntaxError("expected a digit after '-', found \(found())") }
        }
        if peek == UInt8(ascii: "0") {
            offset += 1
            if isDigit(peek) { throw syntaxError("leading zeros are not allowed in numbers") }
        } else {
            while isDigit(peek) { offset += 1 }
        }
        if peek == UInt8(ascii: ".") {
            offset += 1
            guard isDigit(peek) else {
                throw syntaxError("expected a digit after the decimal point, found \(found())")
            }
            while isDigit(peek) { offset += 1 }
        }
        if peek == UInt8(ascii: "e") || peek == UInt8(ascii: "E") {
            offset += 1
            if peek == UInt8(ascii: "+") || peek == UInt8(ascii: "-") { offset += 1 }
            guard isDigit(peek) else { throw syntaxError("expected a digit in the exponent, found \(found())") }
            while isDigit(peek) { offset += 1 }
        }
        return JSONNumber(literal: String(decoding: UnsafeBufferPointer(rebasing: bytes[begin..<offset]), as: UTF8.self))
    }

    private mutating func parseString() throws -> String {
        let start = position
        offset += 1
        let begin = offset
        // Fast path: no escapes, so the string is a slice of the input.
        while offset < bytes.count {
            let byte = bytes[offset]
            if byte == UInt8(ascii: "\"") {
                let text = try makeString(UnsafeBufferPointer(rebasing: bytes[begin..<offset]), start: start)
                offset += 1
                return text
            }
            if byte == UInt8(ascii: "\\") { break }
            try checkStringByte(byte)
            offset += 1
        }
        var buffer = Array(bytes[begin..<offset])
        while offset < bytes.count {
            let byte = bytes[offset]
            switch byte {
            case UInt8(ascii: "\""):
                offset += 1
                return try buffer.withUnsafeBufferPointer { try makeString($0, start: start) }
            case UInt8(ascii: "\\"):
                let escape = position
                offset += 1
                guard let next = peek else { break }
                offset += 1
                switch next {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): buffer.append(next)
                case UInt8(ascii: "b"): buffer.append(0x08)
                case UInt8(ascii: "f"): buffer.append(0x0C)
                case UInt8(ascii: "n"): buffer.append(0x0A)
                case UInt8(ascii: "r"): buffer.append(0x0D)
                case UInt8(ascii: "t"): buffer.append(0x09)
                case UInt8(ascii: "u"):
                    let scalar = try parseUnicodeEscape(at: escape)
                    buffer.append(contentsOf: String(Character(scalar)).utf8)
                default:
                    let shown = (0x21...0x7E).contains(next)
                        ? String(Character(Unicode.Scalar(next))) : "U+\(hex4(UInt32(next)))"
                    throw syntaxError(
                        "invalid escape '\\\(shown)' in string; valid escapes are "
                            + #"\" \\ \/ \b \f \n \r \t \uXXXX"#, at: escape)
                }
            default:
                try checkStringByte(byte)
                buffer.append(byte)
                offset += 1
            }
        }
        throw syntaxError("unterminated string: expected '\"' before end of input", at: start)
    }

    /// Rejects raw control characters and keeps the column count in scalars.
    private mutating func checkStringByte(_ byte: UInt8) throws {
        if byte < 0x20 {
            if byte == 0x0A || byte == 0x0D {
                throw syntaxError("line break inside a string; end the string first or write it as \\n")
            }
            throw syntaxError("control character U+\(hex4(UInt32(byte))) inside a string must be escaped")
        }
        if byte & 0xC0 == 0x80 { continuationBytesOnLine += 1 }
    }

    private func makeString(_ utf8: UnsafeBufferPointer<UInt8>, start: SourcePosition) throws -> String {
        guard let text = String(validating: utf8, as: UTF8.self) else {
            throw syntaxError("string is not valid UTF-8", at: start)
        }
        return text
    }

    /// Reads the four hex digits after `\u` (and a following low surrogate where one is needed).
    private mutating func parseUnicodeEscape(at escape: SourcePosition) throws -> Unicode.Scalar {
        let high = try parseHex4(at: escape)
        switch high {
        case 0xD800...0xDBFF:
            let low: UInt32
            if bytes.count - offset >= 2, bytes[offset] == UInt8(ascii: "\\"), bytes[offset + 1] == UInt8(ascii: "u") {
                offset += 2
                low = try parseHex4(at: escape)
            } else {
                low = 0
            }
            guard (0xDC00...0xDFFF).contains(low) else {
                throw syntaxError(
                    "unpaired surrogate \\u\(hex4(high)): a high surrogate must be followed by a low "
                        + "surrogate \\uDC00-\\uDFFF", at: escape)
            }
            return Unicode.Scalar(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00))!
        case 0xDC00...0xDFFF:
            throw syntaxError(
                "unpaired surrogate \\u\(hex4(high)): a low surrogate must follow a high surrogate", at: escape)
        default:
            return Unicode.Scalar(high)!
        }
    }

    private mutating func parseHex4(at escape: SourcePosition) throws -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard let byte = peek, let digit = hexDigit(byte) else {
                throw syntaxError("expected four hex digits after \\u, found \(found())")
            }
            value = value << 4 | digit
            offset += 1
        }
        return value
    }

    private func hexDigit(_ byte: UInt8) -> UInt32? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): UInt32(byte - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): UInt32(byte - UInt8(ascii: "a") + 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): UInt32(byte - UInt8(ascii: "A") + 10)
        default: nil
        }
    }
}
