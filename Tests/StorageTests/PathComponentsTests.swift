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
