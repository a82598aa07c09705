/// The folder part of `path`, as `NSString.deletingLastPathComponent` gives it: `""` for a bare
/// name (`"a"`, `"a/"`), `"/"` for a name in the root, and otherwise everything before the last
/// component, without trailing slashes (`"runs/x/"` → `"runs"`).
///
/// Foundation's own traps on a name of one character on Linux (`"a"`), which a user's
/// `--run-dir a` or config file `c` would reach.
package func folderPart(of path: String) -> String {
    let name = path.utf8
    var end = name.endIndex
    // Past the trailing slashes; a path of slashes alone is the root.
    while end > name.startIndex, name[name.index(before: end)] == UInt8(ascii: "/") { end = name.index(before: end) }
    if end == name.startIndex { return path.isEmpty ? "" : "/" }
    guard var slash = name[..<end].lastIndex(of: UInt8(ascii: "/")) else { return "" }
    // Before the slashes that end the folder part.
    while slash > name.startIndex, name[name.index(before: slash)] == UInt8(ascii: "/") { slash = name.index(before: slash) }
    if slash == name.startIndex { return "/" }
    return String(path[..<slash])
}
