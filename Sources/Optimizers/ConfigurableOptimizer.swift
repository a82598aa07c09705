/// An optimizer that can be named and built from hyperparameter values: it declares its name,
/// its keys with Keras's defaults and ranges, and how to make itself from resolved values.
///
/// Readers of configs, documentation and tests work from these declarations and from
/// ``OptimizerCatalog/all``, so adding an optimizer is its own file and one line in the catalog.
///
/// ```swift
/// if let type = OptimizerCatalog.optimizer(named: "adam") {
///     let values = HyperparameterValues(
///         type.hyperparameters, float: { hyperparameter, _ in hyperparameter.key == "beta_1" ? 0.8 : nil },
///         bool: { _ in nil })
///     let optimizer = type.init(learningRate: 0.01, clipping: .none, hyperparameters: values)  // Adam, β₁ = 0.8
/// }
/// ```
public protocol ConfigurableOptimizer: Optimizer, SendableMetatype {
    /// The name a config gives it, lower case: `"adam"`.
    static var configName: String { get }

    /// Keras's default learning rate for it.
    static var defaultLearningRate: Float { get }

    /// The hyperparameters it takes besides the learning rate and clipping (which every
    /// optimizer takes), in the order messages and documentation list them.
    static var hyperparameters: [Hyperparameter] { get }

    /// Makes the optimizer.
    ///
    /// - Parameters:
    ///   - learningRate: a constant or a schedule.
    ///   - clipping: gradient clipping.
    ///   - hyperparameters: a value for each of ``hyperparameters``.
    init(learningRate: LearningRate, clipping: GradientClipping, hyperparameters: HyperparameterValues)
}
