/// How wide `text` is drawn at `fontSize` pixels, estimated without font metrics.
///
/// The SVG names DejaVu Sans first, whose advance widths are about 0.3 em for `i`, `l` and
/// punctuation, 0.6 em for most lowercase letters and digits, 0.7–0.8 em for capitals and
/// 0.8–1 em for `m`, `w`, `M` and `W`. Each class is rounded up, and any other script counts
/// 1 em (as wide as a CJK ideograph), so a label measured to fit a box fits it in the fonts the
/// SVG names, give or take a few pixels.
///
/// - Parameters:
///   - text: the text, as drawn.
///   - fontSize: the font size in pixels.
/// - Returns: the estimated width in pixels.
func estimatedWidth(of text: some StringProtocol, fontSize: Double) -> Double {
    text.reduce(0) { $0 + estimatedWidth(of: $1, fontSize: fontSize) }
}

private func estimatedWidth(of character: Character, fontSize: Double) -> Double {
    guard character.isASCII else { return fontSize }
    let em: Double = switch character {
    case "m", "w": 0.9
    case "M", "W": 1
    case "i", "j", "l", "I", "J", " ", ".", ",", ":", ";", "'", "|", "!", "(", ")", "[", "]", "/": 0.36
    case "f", "r", "t", "-": 0.42
    case "A"..."Z": 0.78
    default: 0.64
    }
    return em * fontSize
}

/// `text` shortened in the middle with an ellipsis so that it is at most `width` pixels wide at
/// `fontSize` (by ``estimatedWidth(of:fontSize:)``); `text` itself when it fits.
///
/// The middle goes rather than the end because labels here are run folders and series names,
/// which differ at their ends (`runs/sweep/lr-0.001 train`, `runs/sweep/lr-0.01 train`): the
/// start and the end both stay. Whole characters are kept, so no grapheme is split.
///
/// - Parameters:
///   - text: the text to fit.
///   - width: the room in pixels.
///   - fontSize: the font size in pixels.
/// - Returns: `text`, or as much of its start and end as fits around `…`; `…` alone when not
///   even one character of each fits.
func fitted(_ text: String, width: Double, fontSize: Double) -> String {
    let characters = Array(text)
    let widths = characters.map { estimatedWidth(of: $0, fontSize: fontSize) }
    guard widths.reduce(0, +) > width else { return text }
    let room = width - estimatedWidth(of: "…", fontSize: fontSize)
    // Take characters from the start and the end in turn while they fit.
    var head = 0, tail = 0, used = 0.0
    while head + tail < characters.count {
        let next = head <= tail ? widths[head] : widths[characters.count - 1 - tail]
        guard used + next <= room else { break }
        used += next
        if head <= tail { head += 1 } else { tail += 1 }
    }
    return String(characters[..<head]) + "…" + String(characters[(characters.count - tail)...])
}
