import Autograd
import Datasets
import JSON

/// How well a regression model's predictions fit their targets, on the targets' original scale:
/// what the train task's report and `swiftgrad eval` give for regression data.
///
/// - MSE: mean of (prediction − target)².
/// - MAE: mean of |prediction − target|.
/// - R²: 1 − Σ(prediction − target)² / Σ(target − mean target)², scikit-learn's `r2_score`;
///   1 for a perfect fit, 0 for predicting the mean, `nil` when the targets are all equal (where
///   it is undefined; scikit-learn then returns 0 or 1 by convention).
///
/// Sums run in `Double`, in row order, so the figures do not depend on the worker count.
package struct RegressionMetrics: Sendable, Equatable {
    package var meanSquaredError: Double
    package var meanAbsoluteError: Double
    package var rSquared: Double?

    /// The figures of `predictions` against `targets`, pairwise; both on the same scale. No
    /// rows give NaN errors and no R².
    package init(predictions: [Double], targets: [Double]) {
        let count = Double(Swift.min(predictions.count, targets.count))
        let mean = targets.reduce(0, +) / Swift.max(count, 1)
        var squared: Double = 0, absolute: Double = 0, total: Double = 0
        for (truth, guess) in zip(targets, predictions) {
            squared += (guess - truth) * (guess - truth)
            absolute += Swift.abs(guess - truth)
            total += (truth - mean) * (truth - mean)
        }
        meanSquaredError = count > 0 ? squared / count : .nan
        meanAbsoluteError = count > 0 ? absolute / count : .nan
        rSquared = count > 0 && total > 0 ? 1 - squared / total : nil
    }

    /// The figures of a model's `output` `[n, 1]` against `targets` `[n, 1]`, both mapped back to
    /// the original scale by `standardizer` when the model learnt standardised targets.
    package init(output: Tensor, targets: Tensor, standardizer: Standardizer?) {
        self.init(
            predictions: Self.originalValues(of: output, standardizer: standardizer),
            targets: Self.originalValues(of: targets, standardizer: standardizer))
    }

    /// `values` `[n, 1]` on the original scale, in `Double`: there a `Float` prediction may
    /// overflow where its error does not.
    package static func originalValues(of values: Tensor, standardizer: Standardizer?) -> [Double] {
        standardizer?.originalValues(of: values) ?? values.scalars.map { Double($0) }
    }

    /// `{"<prefix>_mse": …, "<prefix>_mae": …, "<prefix>_r2": …}` added to `object`, R² `null`
    /// when undefined.
    package func add(to object: inout JSONObject, prefix: String) {
        object["\(prefix)_mse"] = .number(meanSquaredError)
        object["\(prefix)_mae"] = .number(meanAbsoluteError)
        object["\(prefix)_r2"] = rSquared.map { .number($0) } ?? .null
    }
}
