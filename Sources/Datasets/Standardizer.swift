import Autograd

/// Per-feature standardisation, `z = (x − mean) / std`, as scikit-learn's `StandardScaler`.
///
/// `fit` computes each column's mean and *population* standard deviation (dividing by `n`, not
/// `n − 1`), in `Double`; `transform` applies them to any rows, so statistics fitted on a
/// training split can be applied unchanged to its test split.
///
/// A column with zero variance (within `10 · Double.ulpOfOne`, the tolerance scikit-learn uses)
/// gets a scale of 1 instead of 0, as scikit-learn does: on the rows it was fitted on such a
/// column becomes exactly 0, and no division by zero ever happens.
///
/// ```swift
/// let scaler = Standardizer.fit(split.train.features)
/// let train = scaler.transform(split.train.features)    // column means 0, population std 1
/// let test = scaler.transform(split.test.features)      // the training statistics applied
/// ```
public struct Standardizer: Sendable, Equatable, Codable {
    /// The mean of each feature over the fitted rows.
    public let mean: [Double]
    /// The divisor of each feature: its population standard deviation, or 1 where that is 0.
    public let scale: [Double]

    /// The smallest scale ``fit(_:)`` gives: a smaller standard deviation counts as zero, and
    /// its column gets a scale of 1.
    public static let smallestScale = 10 * Double.ulpOfOne

    /// A bound on the magnitude of every mean and scale ``fit(_:)`` gives for finite `Float`
    /// features: a mean lies within their range, ±`Float.greatestFiniteMagnitude`, and a
    /// population standard deviation is at most half their spread, so at most that magnitude
    /// too; the bound is twice it, room for the rounding of the sums. Statistics read from a file
    /// beyond it were not fitted to 32-bit data.
    public static let largestFittedMagnitude = 2 * Double(Float.greatestFiniteMagnitude)

    /// Statistics given directly (for instance read back from a checkpoint).
    public init(mean: [Double], scale: [Double]) {
        usagePrecondition(mean.count == scale.count, "Standardizer: \(mean.count) means but \(scale.count) scales")
        let badScale = scale.firstIndex { !($0 > 0 && $0.isFinite) }
        usagePrecondition(
            badScale == nil,
            "Standardizer: every scale must be positive and finite; scale[\(badScale!)] is \(scale[badScale!])")
        self.mean = mean
        self.scale = scale
    }

    /// Fits the per-feature mean and population standard deviation of `features` `[n, d]`.
    ///
    /// Two passes (mean, then the mean of squared deviations) in `Double`, which is exact
    /// enough to match NumPy to `Float` precision.
    ///
    /// - Precondition: `features` has shape `[n, d]` with `n ≥ 1`.
    public static func fit(_ features: Tensor) -> Standardizer {
        shapePrecondition(
            features.rank == 2 && features.shape[0] > 0,
            "Standardizer.fit: expected features of shape [n, d] with n ≥ 1, got \(features.shape)")
        let (n, d) = (features.shape[0], features.shape[1])
        var mean = [Double](repeating: 0, count: d)
        var variance = [Double](repeating: 0, count: d)
        features.withUnsafeBufferPointer { x in
            for row in 0..<n {
                for column in 0..<d { mean[column] += Double(x[row * d + column]) }
            }
            for column in 0..<d { mean[column] /= Double(n) }
            for row in 0..<n {
                for column in 0..<d {
                    let deviation = Double(x[row * d + column]) - mean[column]
                    variance[column] += deviation * deviation
                }
            }
        }
        let scale = variance.map { sum -> Double in
            let std = (sum / Double(n)).squareRoot()
            return std < smallestScale ? 1 : std
        }
        return Standardizer(mean: mean, scale: scale)
    }

    /// The number of features it was fitted on.
    public var featureCount: Int { mean.count }

    /// `(x − mean) / scale` for each row of `features` `[m, d]`, computed in `Double` and
    /// rounded once to `Float`. Not recorded on a tape: it prepares data, it is not a model.
    public func transform(_ features: Tensor) -> Tensor {
        shapePrecondition(
            features.rank == 2 && features.shape[1] == featureCount,
            "Standardizer.transform: fitted on \(featureCount) features, got shape \(features.shape)")
        let (m, d) = (features.shape[0], features.shape[1])
        return features.withUnsafeBufferPointer { x in
            Tensor(shape: features.shape) { z in
                for row in 0..<m {
                    for column in 0..<d {
                        let index = row * d + column
                        z[index] = Float((Double(x[index]) - mean[column]) / scale[column])
                    }
                }
            }
        }
    }

    /// `z · scale + mean`: undoes ``transform(_:)``.
    public func inverseTransform(_ standardized: Tensor) -> Tensor {
        let values = originalValues(of: standardized)
        return Tensor(shape: standardized.shape) { x in
            for index in values.indices { x[index] = Float(values[index]) }
        }
    }

    /// ``inverseTransform(_:)`` in `Double`, not rounded to `Float`: the values, row by row, of
    /// a model's standardised outputs on the original scale, where a `Float` may overflow (a
    /// prediction a little beyond a target of 3·10³⁸) or lose digits that error sums keep.
    public func originalValues(of standardized: Tensor) -> [Double] {
        shapePrecondition(
            standardized.rank == 2 && standardized.shape[1] == featureCount,
            "Standardizer.inverseTransform: fitted on \(featureCount) features, got shape \(standardized.shape)")
        let d = featureCount
        return standardized.withUnsafeBufferPointer { z in
            (0..<z.count).map { index in Double(z[index]) * scale[index % d] + mean[index % d] }
        }
    }
}

extension Dataset {
    /// The dataset with its features standardised by statistics fitted on **all** its rows.
    ///
    /// This is what fitting a scikit-learn `StandardScaler` on the whole table does (`StandardScaler().fit_transform` on all 360 digit rows,
    /// then the split), so reproducing its numbers means standardising before splitting:
    /// `digits.keepingClasses([0, 1]).standardized().split(trainFraction: 0.9)`.
    /// It lets the test rows influence the statistics; to keep them out, split first and call
    /// ``DatasetSplit/standardized()``, as the trainer does.
    public func standardized() -> Dataset {
        standardized(using: Standardizer.fit(features))
    }

    /// The dataset with its features standardised by statistics fitted elsewhere.
    public func standardized(using standardizer: Standardizer) -> Dataset {
        replacingFeatures(standardizer.transform(features))
    }
}
