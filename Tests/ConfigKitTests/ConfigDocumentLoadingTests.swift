import ConfigKit
import Foundation
import Testing

@Suite("Loading config files")
struct ConfigDocumentLoadingTests {
    private func temporaryDirectory() throws -> String {
        let path = NSTemporaryDirectory() + "configkit-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
        return path
    }

    @Test func missingFileIsOneClearLine() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/nope.json"
        let error = try #require(throws: ConfigError.self) { try ConfigDocument.load(path: path) }
        #expect(error.kind == .unreadableFile)
        #expect(error.position == nil)
        #expect(error.description == "cannot read config '\(path)': No such file or directory")
    }

    @Test func directoryIsNotAConfig() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let error = try #require(throws: ConfigError.self) { try ConfigDocument.load(path: directory) }
        #expect(error.description == "cannot read config '\(directory)': it is a directory, not a regular file")
    }

    @Test func loadedFileNamesItselfInErrors() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/train.json"
        try Data("{\n  \"epochs\": \"ten\"\n}\n".utf8).write(to: URL(fileURLWithPath: path))
        let document = try ConfigDocument.load(path: path)
        #expect(document.file == path)
        let error = try #require(throws: ConfigError.self) {
            try document.read { try $0.require("epochs", as: Int.self) }
        }
        #expect(error.description == "\(path):2:13: key path 'epochs': expected an integer, found \"ten\"")
    }

    @Test func largeFileRoundTrips() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/big.json"
        let values = (0..<50_000).map { Double($0) * 0.25 }
        let text = "{\"values\": [" + values.map { "\($0)" }.joined(separator: ", ") + "]}"
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        let read = try ConfigDocument.load(path: path).read { try $0.require("values", as: [Double].self) }
        #expect(read == values)
    }
}
