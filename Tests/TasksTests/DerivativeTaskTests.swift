import Foundation
import Testing
import SwiftGrad
import Tasks

/// `Configs/seed-derivative.json`: d/dx (3x³ + x²) at x = 10, the lecture's first figure.
@Suite struct DerivativeTaskTests {
    @Test func theShippedConfigGivesTheLectureDerivatives() throws {
        let figures = try SeedFigures.load()
        let (report, log) = try runShippedConfig("seed-derivative.json")
        let written = try writtenReport(report)
        let gradient = try #require(written.object["gradient"] as? [String: Double])
        let second = try #require(written.object["second_derivative"] as? [String: Double])
        // 9x² + 2x = 920 and 18x + 2 = 182 are exact in Float.
        #expect(gradient["x"] == figures.grad_920)
        #expect(gradient["x"] == 920)
        #expect(second["x"] == 182)
        #expect(written.object["value"] as? Double == 3100)
        #expect(log.contains("d/dx = 920"))
        #expect(log.contains("d2/dx2 = 182"))
    }

    @Test func itsReportHasTheCommonKeysThenValueAndDerivatives() throws {
        let (report, _) = try runShippedConfig("seed-derivative.json")
        let written = try writtenReport(report)
        expectReportKeys(written, extra: ["value", "gradient", "second_derivative"])
        #expect(written.object["task"] as? String == "derivative")
        #expect(written.object["steps"] as? Int == 0)
        #expect(written.object["final_loss"] is NSNull)
        #expect((written.object["parameters"] as? [String: [Double]])?["x"] == [10])
    }
}
