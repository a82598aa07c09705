import Foundation
import Testing

/// The lecture's figures as TensorFlow 2 printed them, from `Resources/tf_seed_figures.json`.
///
/// Arrays pack several figures; the names say which: `linreg_sgd_w_c_loss_s_per_step` is
/// `[w, c, last loss, seconds per step]`. Seconds are kept as documentation only; no test
/// compares times.
struct SeedFigures: Decodable {
    /// d/dx (3x³ + x²) at x = 10.
    let grad_920: Double
    /// x after steps 1, 2, 3 and 50 of SGD(0.1) on x² − 20x + 100 from x = 50.
    let quadratic_traj_first3_last: [Float]
    /// `[w, c, loss at the last step, seconds per step]` for SGD(0.001), 10 000 steps.
    let linreg_sgd_w_c_loss_s_per_step: [Double]
    /// `[w, c, loss at the last step, seconds per step]` for Adam's defaults, 10 000 steps.
    let linreg_adam_w_c_loss_s_per_step: [Double]
    /// `[loss, train accuracy, test accuracy, seconds per step]` for digits 0 and 1, 70 Adam steps.
    let logreg_loss_train_acc_test_acc_s_per_iter: [Double]

    /// The file bundled with the tests.
    static func load() throws -> SeedFigures {
        let url = try #require(
            Bundle.module.url(forResource: "tf_seed_figures", withExtension: "json", subdirectory: "Resources"),
            "tf_seed_figures.json is missing from the TasksTests bundle")
        return try JSONDecoder().decode(SeedFigures.self, from: Data(contentsOf: url))
    }
}
