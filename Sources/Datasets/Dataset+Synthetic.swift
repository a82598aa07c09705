import Autograd
import CKernels
import Dispatch

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
            teacherLabels(of: x, teacher: teacher, into: &classLabels, rowsPerPart: 256)
        case .uniform:
            var labelStream = RandomStream(seed: seed, stream: DataStream.syntheticBase + 2)
            for row in 0..<examples { classLabels[row] = labelStream.nextIndex(below: classes) }
        }
        return Dataset(features: x, classLabels: classLabels, classCount: classes)
    }
}

extension Dataset {
    /// Writes into `classLabels` each row's `argmax(x · W)` for the teacher `W` `[features,
    /// classes]`: each score summed in `Double` over the features in order, the first class of
    /// the highest score winning a tie (`sg_teacher_labels`, eight rows at a time on AVX-512, four on AVX2).
    /// Parts of `rowsPerPart` rows go to whichever thread takes them; every score is the same
    /// sum whoever computes it, so the labels do not depend on the parts, and a near tie
    /// resolves the same way on every machine.
    static func teacherLabels(of x: Tensor, teacher: Tensor, into classLabels: inout [Int], rowsPerPart: Int) {
        let (examples, features) = (x.shape[0], x.shape[1])
        let classes = teacher.shape[1]
        let scratchCount = sg_teacher_labels_scratch_count(features, classes)
        x.withUnsafeBufferPointer { x in
            teacher.withUnsafeBufferPointer { w in
                classLabels.withUnsafeMutableBufferPointer { labels in
                    let (x, w, labels) = (SharedPointer(x.baseAddress!), SharedPointer(w.baseAddress!), SharedPointer(labels.baseAddress!))
                    let parts = (examples + rowsPerPart - 1) / rowsPerPart
                    DispatchQueue.concurrentPerform(iterations: parts) { part in
                        let scratch = UnsafeMutablePointer<Double>.allocate(capacity: scratchCount)
                        defer { scratch.deallocate() }
                        let first = part * rowsPerPart
                        let rows = Swift.min(examples, first + rowsPerPart) - first
                        sg_teacher_labels(Int32(SG_NORMALS_BEST), x.pointer + first * features, rows, features, w.pointer, classes, labels.pointer + first, scratch)
                    }
                }
            }
        }
    }
}

/// A pointer the threads of a `concurrentPerform` share, each touching elements no other does;
/// the caller keeps the memory alive for the call.
private struct SharedPointer<Pointee>: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<Pointee>
    init(_ pointer: UnsafePointer<Pointee>) { self.pointer = UnsafeMutablePointer(mutating: pointer) }
    init(_ pointer: UnsafeMutablePointer<Pointee>) { self.pointer = pointer }
}
