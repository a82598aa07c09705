import Autograd

/// Reproducible inputs for tests, each drawn from a ``RandomStream`` named by a seed so that a
/// failure can be replayed exactly.
extension Tensor {
    /// Values uniform in `range`.
    public static func testInput(shape: [Int], in range: ClosedRange<Float> = -2...2, seed: UInt64 = 1) -> Tensor {
        var random = RandomStream(seed: seed, stream: 7)
        return Tensor.randomUniform(shape: shape, lower: range.lowerBound, upper: range.upperBound, using: &random)
    }

    /// Values whose magnitude is in `magnitudes` and whose sign is random: inputs for functions
    /// with a kink at 0 (abs, relu), kept far enough from it that finite differences never
    /// straddle it.
    public static func testInputAwayFromZero(
        shape: [Int], magnitudes: ClosedRange<Float> = 0.2...2, seed: UInt64 = 1
    ) -> Tensor {
        var random = RandomStream(seed: seed, stream: 11)
        return Tensor(shape: shape) { buffer in
            for index in buffer.indices {
                let magnitude = magnitudes.lowerBound
                    + (magnitudes.upperBound - magnitudes.lowerBound) * Float(random.nextUniform())
                buffer[index] = random.next() & 1 == 0 ? magnitude : -magnitude
            }
        }
    }

    /// Distinct values at least `spacing` apart, in a shuffled order: inputs for `max`, whose
    /// gradient is only defined where there are no ties.
    public static func testInputDistinct(shape: [Int], spacing: Float = 0.25, seed: UInt64 = 1) -> Tensor {
        var random = RandomStream(seed: seed, stream: 13)
        let count = shape.reduce(1, *)
        var values = (0..<count).map { Float($0) * spacing - Float(count) * spacing / 2 }
        values.shuffle(using: &random)
        return Tensor(shape: shape, scalars: values)
    }
}
