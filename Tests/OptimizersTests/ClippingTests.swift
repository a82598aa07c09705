import Autograd
import Optimizers
import Testing

/// Gradient clipping matches `tf.clip_by_global_norm`, `tf.clip_by_norm` and `tf.clip_by_value`.
@Suite struct ClippingTests {
    @Test func globalNormScalesEveryGradientTogether() throws {
        let (clipped, norm) = clipByGlobalNorm([Tensor([3, 4]), nil, Tensor([12])], maxNorm: 6.5)
        #expect(norm == 13)
        #expect(clipped.count == 3)
        #expect(try #require(clipped[0]).scalars == [1.5, 2])
        #expect(clipped[1] == nil)
        #expect(try #require(clipped[2]).scalars == [6])
    }

    @Test func globalNormBelowTheLimitLeavesGradientsAlone() throws {
        let (clipped, norm) = clipByGlobalNorm([Tensor([3, 4]), Tensor([12])], maxNorm: 20)
        #expect(norm == 13)
        #expect(try #require(clipped[0]).scalars == [3, 4])
        #expect(try #require(clipped[1]).scalars == [12])
    }

    @Test func globalNormOfZerosIsZero() throws {
        let (clipped, norm) = clipByGlobalNorm([Tensor([0, 0])], maxNorm: 1)
        #expect(norm == 0)
        #expect(try #require(clipped[0]).scalars == [0, 0])
    }

    @Test func nonFiniteGlobalNormMakesEveryGradientNaN() throws {
        let (clipped, norm) = clipByGlobalNorm([Tensor([.infinity, 1]), Tensor([2])], maxNorm: 1)
        #expect(norm == .infinity)
        #expect(try #require(clipped[0]).scalars.allSatisfy(\.isNaN))
        #expect(try #require(clipped[1]).scalars.allSatisfy(\.isNaN))
    }

    @Test func perTensorNorm() {
        #expect(clipByNorm(Tensor([3, 4]), maxNorm: 1).scalars == [0.6, 0.8])
        #expect(clipByNorm(Tensor([3, 4]), maxNorm: 10).scalars == [3, 4])
        #expect(clipByNorm(Tensor([0, 0]), maxNorm: 1).scalars == [0, 0])
    }

    @Test func byValueClampsEachElement() {
        let clipped = clipByValue(Tensor([[-3, 0.5], [2, -0.25]]), min: -1, max: 1)
        #expect(clipped.shape == [2, 2])
        #expect(clipped.scalars == [-1, 0.5, 1, -0.25])
    }

    /// Gradients [3, 4] and [2] (global norm √29) through SGD with learning rate 1.
    @Test(arguments: [
        (GradientClipping.byGlobalNorm(1), [Float(-0.557086), -0.742781, -0.371391]),
        (GradientClipping.byNorm(1), [-0.6, -0.8, -1]),
        (GradientClipping.byValue(3.5), [-3, -3.5, -2]),
        (GradientClipping.none, [-3, -4, -2]),
    ])
    func optimizerClipsBeforeUpdating(clipping: GradientClipping, expected: [Float]) {
        let a = Variable(Tensor([0, 0]), name: "a")
        let b = Variable(Tensor([0]), name: "b")
        let optimizer = SGD(learningRate: 1, clipping: clipping)
        optimizer.apply([Tensor([3, 4]), Tensor([2])], to: [a, b])
        let moved = a.value.scalars + b.value.scalars
        #expect(zip(moved, expected).allSatisfy { isWithinTolerance($0, $1) }, "\(moved) vs \(expected)")
    }
}
