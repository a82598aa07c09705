import Autograd
import Foundation
import Optimizers
import Testing

/// The reference trajectories in `Resources/tf_optimizer_trajectories.json`, recorded with
/// TensorFlow 2 and Keras 3: 25 steps of each optimizer on mean((A·w − b)²), with w after every
/// step and every hyperparameter Keras used.
struct ReferenceTrajectories: Decodable {
    struct Problem: Decodable {
        let A: [[Float]]
        let b: [Float]
        let w0: [Float]
        let steps: Int
    }

    struct Case: Decodable {
        let keras_class: String
        let hyperparameters: [String: Double]
        let w_after_each_step: [[Float]]
    }

    let problem: Problem
    let optimizers: [String: Case]

    /// The file bundled with the tests.
    static func load() throws -> ReferenceTrajectories {
        let url = try #require(
            Bundle.module.url(forResource: "tf_optimizer_trajectories", withExtension: "json", subdirectory: "Resources"),
            "tf_optimizer_trajectories.json is missing from the OptimizersTests bundle")
        return try JSONDecoder().decode(ReferenceTrajectories.self, from: Data(contentsOf: url))
    }
}

/// Reads a Keras hyperparameter, failing the test with its name when absent.
func hyperparameter(_ name: String, in reference: ReferenceTrajectories.Case) throws -> Double {
    try #require(reference.hyperparameters[name], "hyperparameter '\(name)' missing from the reference")
}

/// The optimizer a reference case describes, built from its Keras class and `get_config()`.
func makeOptimizer(for reference: ReferenceTrajectories.Case) throws -> any Optimizer {
    let h = { (name: String) in try hyperparameter(name, in: reference) }
    let flag = { (name: String) in try hyperparameter(name, in: reference) != 0 }
    let rate = LearningRate.constant(Float(try h("learning_rate")))
    switch reference.keras_class {
    case "SGD":
        return SGD(learningRate: rate, momentum: try h("momentum"), nesterov: try flag("nesterov"))
    case "Adam":
        return Adam(learningRate: rate, beta1: try h("beta_1"), beta2: try h("beta_2"),
                    epsilon: try h("epsilon"), amsgrad: try flag("amsgrad"))
    case "AdamW":
        return AdamW(learningRate: rate, weightDecay: try h("weight_decay"), beta1: try h("beta_1"),
                     beta2: try h("beta_2"), epsilon: try h("epsilon"), amsgrad: try flag("amsgrad"))
    case "Adagrad":
        return Adagrad(learningRate: rate, initialAccumulatorValue: try h("initial_accumulator_value"),
                       epsilon: try h("epsilon"))
    case "RMSprop":
        return RMSprop(learningRate: rate, rho: try h("rho"), momentum: try h("momentum"),
                       epsilon: try h("epsilon"), centered: try flag("centered"))
    default:
        Issue.record("unknown Keras optimizer class '\(reference.keras_class)'")
        throw CancellationError()
    }
}

/// The least-squares problem of the reference: loss mean((A·w − b)²) with A [4, 3].
struct LeastSquares {
    let a: Tensor
    let b: Tensor

    init(_ problem: ReferenceTrajectories.Problem) {
        a = Tensor(problem.A)
        b = Tensor(shape: [problem.b.count, 1], scalars: problem.b)
    }

    /// The gradient of the loss with respect to `w`, taken with a tape.
    func gradient(at w: Variable) -> Tensor? {
        let tape = GradientTape()
        let loss = tape.record {
            let residual = Tensor.matmul(a, w.value.reshaped(to: [w.shape[0], 1])) - b
            return residual.squared().mean()
        }
        return tape.gradient(of: loss, withRespectTo: w)
    }
}

/// Whether `actual` is within `atol + rtol·|expected|` of `expected`, computed in `Float`.
///
/// Not `_TestSupport`'s `isClose`: that one computes in `Double` and counts NaN as close to NaN
/// and an infinity as close to itself, so results at the tolerance's edge could differ.
func isWithinTolerance(_ actual: Float, _ expected: Float, rtol: Float = 1e-5, atol: Float = 1e-6) -> Bool {
    abs(actual - expected) <= atol + rtol * abs(expected)
}
