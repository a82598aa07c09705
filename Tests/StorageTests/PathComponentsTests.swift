import Testing
import Storage

/// The folder part of a path, for names of every length (Foundation's traps on one character).
@Suite struct PathComponentsTests {
    @Test(arguments: [
        ("a", ""), ("ab", ""), ("a/", ""), ("a//", ""), ("", ""),
        ("a/b", "a"), ("a/b/", "a"), ("a//b", "a"), ("runs/x/c", "runs/x"), ("./a", "."), ("../c", ".."),
        ("/a", "/"), ("//a", "/"), ("/", "/"), ("///", "/"), ("/x/y", "/x"), ("é/ü", "é"),
    ])
    func folderPartIsEverythingBeforeTheLastComponent(path: String, folder: String) {
        #expect(folderPart(of: path) == folder)
    }
}

/// What a message shows of a text: one line, whatever the text holds.
@Suite struct ShownTextTests {
    @Test(arguments: [
        ("plain é 日本", "plain é 日本"), ("a\nb", #"a\nb"#), ("\u{1B}[2J", #"\u{1B}[2J"#), ("a\u{85}b", #"a\u{0085}b"#),
        ("a\u{2028}b\u{2029}", #"a\u{2028}b\u{2029}"#), ("\u{7F}\u{9F}\u{A0}", #"\u{7F}\u{009F}"# + "\u{A0}"), ("\r\n", #"\r\n"#),
    ])
    func controlsAndSeparatorsAreEscaped(text: String, shown: String) {
        #expect(quoted(text) == shown)
    }

    @Test func aLongTextIsCutWithItsCount() {
        #expect(quoted(String(repeating: "a", count: 100), limit: 10) == "aaaaaaaaaa… (100 characters)")
    }
}
