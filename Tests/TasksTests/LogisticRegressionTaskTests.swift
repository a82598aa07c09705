import Foundation
import Testing
import SwiftGrad
import Tasks

/// `Configs/seed-logistic-regression.json`: digits 0 and 1, standardised on all rows, split
/// 90/10 in file order, 70 Adam steps.
@Suite struct LogisticRegressionTaskTests {
    @Test func itSeparatesZerosFromOnesAsTheLectureDoes() throws {
        // TensorFlow's figures, for the record: loss 0.272, train accuracy 0.9938 (322 of 324),
        // test accuracy 0.9722 (35 of 36). The initial weights come from a different random
        // generator, so only bounds are compared.
        let reference = try SeedFigures.load().logreg_loss_train_acc_test_acc_s_per_iter
        try #require(reference.count == 4)
        #expect(reference[1] >= 0.99 && reference[2] >= 0.97)

        let (report, _) = try runShippedConfig("seed-logistic-regression.json")
        let written = try writtenReport(report)
        expectReportKeys(written, extra: ["train_loss", "test_loss", "train_accuracy", "test_accuracy", "train_examples", "test_examples"])
        #expect(written.object["task"] as? String == "logistic-regression")
        #expect(written.object["steps"] as? Int == 70)
        #expect(written.object["train_examples"] as? Int == 324)
        #expect(written.object["test_examples"] as? Int == 36)
        let train = try #require(written.object["train_accuracy"] as? Double)
        let test = try #require(written.object["test_accuracy"] as? Double)
        #expect(train >= 0.99)
        #expect(test >= 0.97)
        let loss = try #require(report.finalLoss)
        #expect(loss > 0 && loss < 0.5)
        #expect(try parameter("w", in: report).count == 64)
        #expect(try parameter("b", in: report).count == 1)
    }
}
