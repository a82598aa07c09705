import Foundation
import Testing
import SwiftGrad
import Tasks

/// `Configs/seed-quadratic.json`: x² − 20x + 100 from x = 50 with SGD(0.1), 50 steps.
@Suite struct MinimizeTaskTests {
    /// Float32 values one unit in the last place apart or closer.
    private func withinOneULP(_ actual: Float, _ expected: Float) -> Bool {
        actual == expected || actual.nextUp == expected || actual.nextDown == expected
    }

    @Test func theTrajectoryMatchesTensorFlow() throws {
        let reference = try SeedFigures.load().quadratic_traj_first3_last
        try #require(reference.count == 4)
        let (report, _) = try runShippedConfig("seed-quadratic.json")
        let written = try writtenReport(report)
        // The report writes each Float's shortest decimal, which reads back to the same Float.
        let trajectory = try #require(written.object["trajectory"] as? [Double]).map(Float.init)
        try #require(trajectory.count == 50)
        #expect(report.steps == 50)
        for (index, expected) in zip([0, 1, 2, 49], reference) {
            #expect(withinOneULP(trajectory[index], expected), "step \(index + 1): \(trajectory[index]) vs TensorFlow's \(expected)")
        }
        // The first three are exact: 50 − 0.1·80 = 42, then 35.6, 30.48 rounded the same way.
        #expect(Array(trajectory.prefix(3)) == Array(reference.prefix(3)))
        #expect(try parameter("x", in: report) == [trajectory[49]])
    }

    @Test func itsReportAddsTheTrajectoryAndFinalValue() throws {
        let (report, _) = try runShippedConfig("seed-quadratic.json")
        let written = try writtenReport(report)
        expectReportKeys(written, extra: ["trajectory", "final_value"])
        #expect(written.object["task"] as? String == "minimize")
        #expect(written.object["steps"] as? Int == 50)
        #expect(written.object["final_loss"] is Double)
        #expect((written.object["parameters"] as? [String: [Double]])?["x"]?.count == 1)
    }
}
