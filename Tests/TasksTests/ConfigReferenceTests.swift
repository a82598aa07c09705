import Foundation
import Testing

/// `Documentation/Configuration.md` is `Configs/schema.json` rendered (with the optimizer part
/// as the optimizers declare it), its links all lead to a heading, and the README points at it.
///
/// `SWIFTGRAD_UPDATE_REFERENCE=1` rewrites the document.
@Suite struct ConfigReferenceTests {
    static var path: String { Repository.root + "/" + ConfigReference.relativePath }

    private func rendered() throws -> String {
        ConfigReference.render(try ConfigSchema.committed().withGeneratedOptimizers())
    }

    @Test func theCommittedReferenceIsTheRenderedSchema() throws {
        let rendered = try rendered()
        if ConfigSchemaTests.updating {
            try FileManager.default.createDirectory(
                atPath: (Self.path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            if (try? String(contentsOfFile: Self.path, encoding: .utf8)) != rendered {
                try rendered.write(toFile: Self.path, atomically: true, encoding: .utf8)
            }
        }
        let committed = try String(contentsOfFile: Self.path, encoding: .utf8)
        let (old, new) = (committed.components(separatedBy: "\n"), rendered.components(separatedBy: "\n"))
        let first = zip(old, new).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? Swift.min(old.count, new.count)
        #expect(committed == rendered, """
            \(ConfigReference.relativePath) is not the rendered schema from line \(first + 1): \
            '\(first < old.count ? old[first] : "(end)")' should be '\(first < new.count ? new[first] : "(end)")'; \
            run SWIFTGRAD_UPDATE_REFERENCE=1 swift test --filter "ConfigSchemaTests|ConfigReferenceTests" to rewrite it
            """)
    }

    @Test func everyLinkLeadsToOneHeading() throws {
        let lines = try rendered().components(separatedBy: "\n")
        let anchors = lines.filter { $0.hasPrefix("#") }.map { ConfigReference.anchor(of: $0.drop { $0 == "#" }.trimmingCharacters(in: .whitespaces)) }
        #expect(Set(anchors).count == anchors.count, "headings with the same anchor: \(anchors.filter { a in anchors.filter { $0 == a }.count > 1 })")
        var targets: [String] = []
        for line in lines {
            var rest = Substring(line)
            while let start = rest.range(of: "](#") {
                rest = rest[start.upperBound...]
                guard let end = rest.firstIndex(of: ")") else { break }
                targets.append(String(rest[..<end]))
            }
        }
        #expect(!targets.isEmpty)
        for target in Set(targets).sorted() {
            #expect(anchors.contains(target), "a link to #\(target), which no heading has")
        }
    }

    @Test func theReadmeLinksTheReference() throws {
        let readme = try String(contentsOfFile: Repository.root + "/README.md", encoding: .utf8)
        let link = "](\(ConfigReference.relativePath))"
        #expect(readme.contains(link), "README.md has no link '\(link)'")
    }
}
