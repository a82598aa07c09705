import _TestSupport
import JSON
import Reports
import Testing

@Suite("A JSON value is written to a report file atomically")
struct JSONReportWritingTests {
    @Test func writeIsAtomicPrettyAndEndsWithNewline() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let report: JSONValue = ["epochs": 2, "loss": [0.5, 0.25]]
        try report.write(to: directory.path + "/r.json")
        #expect(try directory.read("r.json") == "{\n  \"epochs\": 2,\n  \"loss\": [0.5, 0.25]\n}\n")
        #expect(try directory.read("r.json") == report.encoded())
    }

    @Test func nonFiniteNumbersAreAReportErrorAndLeaveNoFile() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let report: JSONValue = ["history": [["loss": .number(Float.nan)]]]
        let error = try #require(throws: ReportError.self) { try report.write(to: directory.path + "/bad.json") }
        #expect(error.description == "cannot write nan at 'history[0].loss' as JSON: JSON has no NaN or infinity")
        #expect(try directory.contents() == [])
    }

    @Test func nonFiniteNumbersAreWrittenAsNullOnlyWhenAskedFor() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let report: JSONValue = ["loss": .number(Double.infinity)]
        try report.write(to: directory.path + "/r.json", nonFinite: .writeNull)
        #expect(try directory.read("r.json") == "{\n  \"loss\": null\n}\n")
    }
}
