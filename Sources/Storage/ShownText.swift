/// `text` as a message shows it, when it comes from a flag, a path or a file's contents:
/// control characters escaped (a NUL or a newline would otherwise reach the terminal as is) and
/// anything past `limit` characters left out, with the count, so that a 50 MB field does not
/// become a 50 MB error line.
package func quoted(_ text: String, limit: Int = 80) -> String {
    var shown = ""
    var count = 0
    for character in text {
        count += 1
        guard count <= limit else { continue }
        if character.unicodeScalars.allSatisfy({ !breaksTheLine($0) }) {
            shown.append(character)
        } else {
            for scalar in character.unicodeScalars { shown += breaksTheLine(scalar) ? scalar.escaped(asASCII: true) : String(scalar) }
        }
    }
    return count <= limit ? shown : shown + "… (\(count) characters)"
}

/// Whether `scalar` is a control character (C0, DEL or C1, U+0085 next line among them) or a
/// line or paragraph separator: each may end or rewrite the line a terminal shows, or a line of
/// a file that lists names one a line.
package func breaksTheLine(_ scalar: Unicode.Scalar) -> Bool {
    scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) || scalar.value == 0x2028 || scalar.value == 0x2029
}
