import Autograd

/// One step of a ``Sequential`` model: a pure function of its input and its own parameters, with
/// local parameter names and shapes, as swift-apis' `Layer` and Keras's layers.
///
/// Like ``Model``, a layer holds only configuration (sizes, rates, initialisers); its parameters
/// are tensors handed to each call, so one layer value serves every data-parallel worker. A new
/// layer type is a struct conforming to this protocol in its own file; ``Sequential`` needs no
/// change to hold it.
///
/// Shapes here are the shapes of one example (without the batch axis): a ``Dense`` layer of
/// 4 inputs takes examples of shape `[4]`, so batches of shape `[batch, 4]`. ``Sequential``
/// uses ``inputShape`` and ``outputShape(forInputShape:)`` to check, when it is made, that each
/// layer takes what the one before gives.
///
/// ```swift
/// /// y = scale · x, with one learnt scale per feature.
/// struct FeatureScale: Layer {
///     var size: Int
///     static var typeName: String { "feature_scale" }
///     var parameterNames: [String] { ["scale"] }
///     var parameterShapes: [[Int]] { [[size]] }
///     var inputShape: [Int]? { [size] }
///     func outputShape(forInputShape inputShape: [Int]) -> [Int] { inputShape }
///     func initialParameters(using random: inout RandomStream) -> [Tensor] { [Tensor.ones(shape: [size])] }
///     func callAsFunction(_ input: Tensor, parameters: ArraySlice<Tensor>, context: inout LayerContext) -> Tensor {
///         input * parameters[parameters.startIndex]
///     }
/// }
/// ```
public protocol Layer: Sendable, Equatable {
    /// The layer type's short snake_case name (`dense`, `layer_norm`): the stem of the default
    /// names ``Sequential`` gives (`dense0`, `layer_norm1`), and the `type` a train config names
    /// it by.
    static var typeName: String { get }
    /// The local name of each parameter (`["weight", "bias"]`), in parameter order; a model
    /// prefixes them with the layer's name (`dense0/weight`).
    var parameterNames: [String] { get }
    /// One shape per parameter, in parameter order.
    var parameterShapes: [[Int]] { get }
    /// The shape of one input example when the layer fixes it (`[inputSize]` for ``Dense``), or
    /// `nil` when it takes any shape (``Dropout``).
    var inputShape: [Int]? { get }
    /// The shape of one output example for input examples of `inputShape`.
    ///
    /// - Precondition: the layer takes `inputShape` (it equals ``inputShape`` when that is set).
    func outputShape(forInputShape inputShape: [Int]) -> [Int]
    /// The parameters a fresh layer starts from, in parameter order, drawn from `random`
    /// (deterministic initialisers leave it untouched).
    func initialParameters(using random: inout RandomStream) -> [Tensor]
    /// The layer's output for `input`, a batch with examples along the first axis.
    ///
    /// - Parameters:
    ///   - input: the batch.
    ///   - parameters: this layer's tensors only, shaped as ``parameterShapes`` (a slice of the
    ///     model's parameters, so its indices start at `parameters.startIndex`).
    ///   - context: threads, training flag and random stream; a layer that draws random numbers
    ///     advances its stream.
    func callAsFunction(_ input: Tensor, parameters: ArraySlice<Tensor>, context: inout LayerContext) -> Tensor
}

extension Layer {
    /// The layer's output in a copy of `context` (inference on one kernel thread by default),
    /// for using a layer on its own.
    ///
    /// ```swift
    /// let norm = LayerNormalization(size: 3)
    /// var random = RandomStream(seed: 0)
    /// let y = norm(x, parameters: norm.initialParameters(using: &random))
    /// ```
    public func callAsFunction(_ input: Tensor, parameters: [Tensor], context: LayerContext = LayerContext()) -> Tensor {
        var context = context
        return self(input, parameters: parameters[...], context: &context)
    }

    /// Whether `other` is a layer of the same type with the same configuration.
    public func isEqual(to other: any Layer) -> Bool {
        (other as? Self) == self
    }
}
