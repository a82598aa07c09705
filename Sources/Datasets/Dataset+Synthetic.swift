import Autograd

extension Dataset {
    /// How synthetic examples get their classes.
    public enum SyntheticLabels: Sendable {
        /// `argmax(x · W)` for a fixed random teacher `W` `[features, classes]` with standard
        /// normal entries: a linear rule, so a model can learn it to high accuracy.
        case teacher
        /// Uniform random classes, unrelated to the features: nothing to learn, only to memorise.
        case uniform
    }

    /// Deterministic random classification data, for benchmarks and tests (for example an
    /// MNIST-sized `examples: 60_000, features: 784, classes: 10` for an MLP 784-256-256-10).
    ///
    /// Features are standard normal. Everything is drawn from `RandomStream`s of `seed` (one
    /// stream each for features, teacher and uniform labels), so a seed gives the same data on
    /// every run and machine, and the features do not depend on the labelling.
    ///
    /// - Parameters:
    ///   - examples: the number of rows.
    ///   - features: the number of features per row.
    ///   - classes: the number of classes, at least 2.
    ///   - seed: the seed of every random draw.
    ///   - labels: ``SyntheticLabels/teacher`` (default, learnable) or ``SyntheticLabels/uniform``.
    public static func synthetic(
        examples: Int, features: Int, classes: Int, seed: UInt64, labels: SyntheticLabels = .teacher
    ) -> Dataset {
        usagePrecondition(examples >= 1 && features >= 1, "Dataset.synthetic: needs at least one example and one feature, got examples \(examples) and features \(features)")
        usagePrecondition(classes >= 2, "Dataset.synthetic: needs at least 2 classes, got \(classes)")
        var featureStream = RandomStream(seed: seed, stream: DataStream.syntheticBase)
        let x = Tensor.randomNormal(shape: [examples, features], using: &featureStream)
        var classLabels = [Int](repeating: 0, count: examples)
        switch labels {
        case .teacher:
            var teacherStream = RandomStream(seed: seed, stream: DataStream.syntheticBase + 1)
            let teacher = Tensor.randomNormal(shape: [features, classes], using: &teacherStream)
            // Plain loops in a fixed order (not the threaded GEMM), so a near tie between two
            // scores resolves the same way on every machine.
            x.withUnsafeBufferPointer { x in
                teacher.withUnsafeBufferPointer { w in
                    var scores = [Double](repeating: 0, count: classes)
                    for row in 0..<examples {
                        for c in 0..<classes { scores[c] = 0 }
                        for j in 0..<features {
                            let value = Double(x[row * features + j])
                            for c in 0..<classes { scores[c] += value * Double(w[j * classes + c]) }
                        }
                        var best = 0
                        for c in 1..<classes where scores[c] > scores[best] { best = c }
                        classLabels[row] = best
                    }
                }
            }
        case .uniform:
            var labelStream = RandomStream(seed: seed, stream: DataStream.syntheticBase + 2)
            for row in 0..<examples { classLabels[row] = labelStream.nextIndex(below: classes) }
        }
        return Dataset(features: x, classLabels: classLabels, classCount: classes)
    }
}
