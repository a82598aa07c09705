/// The candidate a person most likely meant by `text`, or `nil` if none is close.
///
/// Close means equal ignoring case, or within an edit distance (``editDistance(_:_:)``) of a
/// third of the longer word (at least 1), so `beta1` finds `beta_1` while `lr` does not find `mu`.
/// Names longer than ``suggestionLengthLimit`` characters are neither matched nor suggested:
/// the distance takes time in the product of the two lengths, and a data file's header may hold
/// names of megabytes.
package func closestMatch(to text: String, among candidates: [String]) -> String? {
    guard let lowered = suggestible(text) else { return nil }
    var best: (candidate: String, distance: Int)?
    for candidate in candidates where candidate != text {
        guard let other = suggestible(candidate) else { continue }
        let limit = max(1, max(lowered.count, other.count) / 3)
        // The distance is at least the difference in length.
        guard abs(lowered.count - other.count) <= limit else { continue }
        let distance = editDistance(lowered, other)
        if distance <= limit, distance < (best?.distance ?? .max) {
            best = (candidate, distance)
        }
    }
    return best?.candidate
}

/// The longest name, in characters, that ``closestMatch(to:among:)`` compares.
package let suggestionLengthLimit = 64

/// `name` lowercased, as characters, if it is at most ``suggestionLengthLimit`` long and at most
/// four bytes a character in UTF-8.
private func suggestible(_ name: String) -> [Character]? {
    // Turned away by its byte count, which a native string knows, before anything is copied.
    guard name.utf8.count <= 4 * suggestionLengthLimit else { return nil }
    let characters = Array(name.lowercased())
    return characters.count <= suggestionLengthLimit ? characters : nil
}

/// The optimal string alignment distance: insertions, deletions, substitutions and swaps of two
/// neighbouring characters to turn `a` into `b`, so that a typed transposition (`trian`,
/// `modle`) counts as one edit, as a person sees it, not two.
func editDistance(_ a: [Character], _ b: [Character]) -> Int {
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var beforePrevious = [Int](repeating: 0, count: b.count + 1)
    var previous = Array(0...b.count)
    var current = [Int](repeating: 0, count: b.count + 1)
    for i in 1...a.count {
        current[0] = i
        for j in 1...b.count {
            let substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)
            current[j] = min(substitution, previous[j] + 1, current[j - 1] + 1)
            if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                current[j] = min(current[j], beforePrevious[j - 2] + 1)
            }
        }
        (beforePrevious, previous, current) = (previous, current, beforePrevious)
    }
    return previous[b.count]
}
