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
        if character.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value != 0x7F }) {
            shown.append(character)
        } else {
            for scalar in character.unicodeScalars { shown += scalar.escaped(asASCII: false) }
        }
    }
    return count <= limit ? shown : shown + "… (\(count) characters)"
}
