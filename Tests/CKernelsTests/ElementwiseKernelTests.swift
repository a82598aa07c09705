import CKernels
import Foundation
import Testing

/// The elementwise, reduction and softmax cross-entropy kernels against plain Swift loops, and
/// their results for several thread counts (large enough to start a thread team).
@Suite("Elementwise and loss kernels")
struct ElementwiseKernelTests {
    @Test func biasActivationAddsBiasAndClampsWithRelu() {
        let (rows, cols) = (3, 5)
        var rng = SeededFloats(seed: 1)
        let x = rng.array(rows * cols), bias = rng.array(cols)
        for relu: Int32 in [0, 1] {
            var y = x
            sg_bias_activation(&y, bias, rows, cols, relu, 1)
            for i in 0..<rows {
                for j in 0..<cols {
                    let z = x[i * cols + j] + bias[j]
                    #expect(y[i * cols + j] == (relu == 1 ? max(z, 0) : z), "row \(i) column \(j) relu \(relu)")
                }
            }
        }
    }

    @Test func reluBackwardKeepsUpstreamWhereOutputIsPositive() {
        let upstream: [Float] = [1, 2, 3, 4, -5]
        let output: [Float] = [0.5, 0, -0.0, 7, 1e-30]
        var result = [Float](repeating: .nan, count: 5)
        sg_relu_backward(upstream, output, &result, 5, 1)
        #expect(result == [1, 0, 0, 4, -5])
    }

    @Test func columnSumsAddEachColumnInRowOrder() {
        let (rows, cols) = (7, 37)
        var rng = SeededFloats(seed: 2)
        let x = rng.array(rows * cols)
        var sums = [Float](repeating: .nan, count: cols)
        sg_column_sums(x, rows, cols, &sums, 1)
        for j in 0..<cols {
            var expected: Float = 0
            for i in 0..<rows { expected += x[i * cols + j] }
            #expect(sums[j] == expected, "column \(j)")
        }
    }

    /// Every kind of non-finite value, at the first and last element of a block of 64, in the
    /// tail after the last whole block, and behind a finite value of the largest magnitude: the
    /// index found is the first one, and an all-finite array gives its count.
    @Test func firstNonFiniteFindsTheFirstNaNOrInfinity() {
        let count = 64 * 3 + 9
        var finite = [Float](repeating: 0, count: count)
        for i in 0..<count { finite[i] = Float(i) - 100 }
        finite[5] = .greatestFiniteMagnitude
        finite[6] = -.greatestFiniteMagnitude
        finite[7] = .leastNonzeroMagnitude
        finite[8] = -0.0
        #expect(sg_first_non_finite(finite, count) == count)
        #expect(sg_first_non_finite(finite, 0) == 0)
        let quietNaN = Float(bitPattern: 0x7FC0_0000), signalingNaN = Float(bitPattern: 0x7F80_0001)
        let negativeNaN = Float(bitPattern: 0xFFC0_0001)
        for value in [Float.infinity, -.infinity, quietNaN, signalingNaN, negativeNaN] {
            for position in [0, 63, 64, 127, 128, 191, 192, count - 1] {
                var x = finite
                x[position] = value
                if position + 3 < count { x[position + 3] = .nan }
                #expect(sg_first_non_finite(x, count) == position, "\(value.bitPattern) at \(position)")
                // A count that ends before it sees none.
                #expect(sg_first_non_finite(x, position) == position, "\(value.bitPattern) before \(position)")
            }
        }
    }

    @Test func adamUpdateMatchesKerasFloat32Arithmetic() {
        var rng = SeededFloats(seed: 3)
        let count = 33
        var w = rng.array(count), m = rng.array(count).map { $0 * 0.1 }, v = rng.array(count).map { abs($0) * 0.01 }
        let g = rng.array(count)
        var (we, me, ve) = (w, m, v)
        let (alpha, b1, b2, eps): (Float, Float, Float, Float) = (0.003, 0.1, 0.001, 1e-7)
        for i in 0..<count {
            me[i] += (g[i] - me[i]) * b1
            ve[i] += (g[i] * g[i] - ve[i]) * b2
            we[i] -= (me[i] * alpha) / (ve[i].squareRoot() + eps)
        }
        sg_adam_update(&w, g, &m, &v, count, alpha, b1, b2, eps, 1)
        #expect(w.map(\.bitPattern) == we.map(\.bitPattern))
        #expect(m.map(\.bitPattern) == me.map(\.bitPattern))
        #expect(v.map(\.bitPattern) == ve.map(\.bitPattern))
    }

    @Test func softmaxCrossEntropyForwardAndBackward() {
        let logits: [Float] = [1, 2, 3, 100, -100, 0]
        let labels = [2, 1]
        var loss = [Float](repeating: .nan, count: 2)
        sg_softmax_xent_forward(logits, labels, 2, 3, &loss, 1)
        let expected0 = Float(log(exp(1.0) + exp(2.0) + exp(3.0)) - 3)
        #expect(abs(loss[0] - expected0) < 1e-6)
        #expect(abs(loss[1] - 200) < 1e-3)   // stable for logits of ±100
        var gradient = [Float](repeating: .nan, count: 6)
        let upstream: [Float] = [2, 0.5]
        sg_softmax_xent_backward(logits, labels, upstream, 2, 3, &gradient, 1)
        let total = exp(1.0) + exp(2.0) + exp(3.0)
        let expected: [Double] = [2 * exp(1.0) / total, 2 * exp(2.0) / total, 2 * (exp(3.0) / total - 1), 0.5, -0.5, 0]
        for (got, want) in zip(gradient, expected) { #expect(abs(Double(got) - want) < 1e-6, "\(gradient)") }
        var ones = [Float](repeating: .nan, count: 6)
        sg_softmax_xent_backward(logits, labels, nil, 2, 3, &ones, 1)
        #expect(abs(ones[3] - 1) < 1e-6 && abs(ones[4] + 1) < 1e-6)
    }

    @Test func resultsDoNotDependOnThreads() {
        // Above the 256 Ki-element threshold, so two and three threads really run.
        let (rows, cols) = (700, 400)
        var rng = SeededFloats(seed: 4)
        let x = rng.array(rows * cols), bias = rng.array(cols)
        let labels = (0..<rows * 40).map { $0 % 10 }
        func run(_ threads: Int32) -> [[UInt32]] {
            var y = x
            sg_bias_activation(&y, bias, rows, cols, 1, threads)
            var mask = [Float](repeating: 0, count: x.count)
            sg_relu_backward(x, y, &mask, x.count, threads)
            var sums = [Float](repeating: 0, count: cols)
            sg_column_sums(x, rows, cols, &sums, threads)
            var w = x, m = [Float](repeating: 0, count: x.count), v = m
            sg_adam_update(&w, y, &m, &v, x.count, 0.01, 0.1, 0.001, 1e-7, threads)
            var loss = [Float](repeating: 0, count: labels.count)
            sg_softmax_xent_forward(x, labels, labels.count, 10, &loss, threads)
            var dx = [Float](repeating: 0, count: x.count)
            sg_softmax_xent_backward(x, labels, nil, labels.count, 10, &dx, threads)
            return [y, mask, sums, w, m, v, loss, dx].map { $0.map(\.bitPattern) }
        }
        let one = run(1)
        for threads: Int32 in [2, 3] { #expect(run(threads) == one, "\(threads) threads") }
    }
}
