import Autograd

/// A model as a pure function of its input and its parameters, built for data parallelism.
///
/// A model value holds only configuration (sizes, activations, initialisers, a seed) and is
/// `Sendable`. Its parameters live outside it: a single-threaded user keeps them in
/// ``/Autograd/Variable``s made by ``makeVariables()``, as in TensorFlow; the data-parallel
/// trainer keeps the variables on its coordinating thread and hands every worker their values as
/// tensors, which workers read but never write.
///
/// ```swift
/// let model = MLP(layerSizes: [784, 256, 10], seed: 42)
/// let variables = model.makeVariables()
/// let tape = GradientTape()
/// let loss = tape.record { model.loss(model(x, parameters: variables), targets: .classes(labels)) }
/// let gradients = tape.gradient(of: loss, withRespectTo: variables)
/// ```
public protocol Model: Sendable {
    /// One name per parameter, in parameter order, stable across runs (checkpoint keys).
    var parameterNames: [String] { get }
    /// One shape per parameter, in parameter order.
    var parameterShapes: [[Int]] { get }
    /// The loss this model is trained with by default.
    var lossKind: LossKind { get }
    /// The parameters a fresh model starts from, drawn from the model's own seed: the same on
    /// every call and every run.
    func initialParameters() -> [Tensor]
    /// The model's output (logits for the classifiers) for `input`.
    ///
    /// - Parameters:
    ///   - input: a batch, examples along the first axis unless the model says otherwise.
    ///   - parameters: tensors shaped as ``parameterShapes``, in that order.
    ///   - kernels: how its matrix products and loops run: their threads, and on a data-parallel
    ///     worker the help board its single-threaded products post on (see
    ///     ``/Autograd/KernelContext``); results are identical for any context, so this is only a
    ///     matter of speed.
    func callAsFunction(_ input: Tensor, parameters: [Tensor], kernels: KernelContext) -> Tensor
    /// The model's output for `input` in a forward pass described by `context`: how its kernels
    /// run, whether it is a training step (``Dropout`` drops only then), and the random stream
    /// training draws from.
    ///
    /// The data-parallel engine calls this with a training context for every micro-shard; the
    /// default implementation, for models whose output does not depend on training, is
    /// ``callAsFunction(_:parameters:kernels:)`` with `context.kernels`.
    func callAsFunction(_ input: Tensor, parameters: [Tensor], context: inout LayerContext) -> Tensor
}

extension Model {
    public func callAsFunction(_ input: Tensor, parameters: [Tensor], context: inout LayerContext) -> Tensor {
        self(input, parameters: parameters, kernels: context.kernels)
    }

    /// The model's output with one kernel thread per matrix product.
    public func callAsFunction(_ input: Tensor, parameters: [Tensor]) -> Tensor {
        self(input, parameters: parameters, kernels: .serial)
    }

    /// The model's output with up to `kernelThreads` threads per matrix product.
    public func callAsFunction(_ input: Tensor, parameters: [Tensor], kernelThreads: Int) -> Tensor {
        countPrecondition(kernelThreads, "\(Self.self): kernelThreads")
        return self(input, parameters: parameters, kernels: KernelContext(threads: kernelThreads))
    }

    /// The model's output computed from the current values of `variables`. Reading them while a
    /// ``/Autograd/GradientTape`` records watches them, so this is the TensorFlow-style forward
    /// pass.
    public func callAsFunction(_ input: Tensor, parameters variables: [Variable], kernelThreads: Int = 1) -> Tensor {
        countPrecondition(kernelThreads, "\(Self.self): kernelThreads")
        return self(input, parameters: variables.map(\.value), kernels: KernelContext(threads: kernelThreads))
    }

    /// The model's output computed from the current values of `variables` in a forward pass
    /// described by `context`: a training step of your own, with dropout drawn from its stream.
    public func callAsFunction(_ input: Tensor, parameters variables: [Variable], context: inout LayerContext) -> Tensor {
        self(input, parameters: variables.map(\.value), context: &context)
    }

    /// One trainable ``/Autograd/Variable`` per parameter, named by ``parameterNames`` and holding
    /// ``initialParameters()``.
    public func makeVariables() -> [Variable] {
        zip(initialParameters(), parameterNames).map { Variable($0, name: $1) }
    }

    /// The number of scalars over all parameters.
    public var parameterCount: Int {
        parameterShapes.reduce(0) { $0 + $1.reduce(1, *) }
    }

    /// The mean loss of `output` against `targets` under ``lossKind``.
    public func loss(_ output: Tensor, targets: Targets) -> Tensor {
        lossKind.meanLoss(output, targets: targets)
    }

    /// Stops the program unless `parameters` match ``parameterShapes``, naming the first that
    /// does not.
    public func checkParameters(_ parameters: [Tensor], op: String) {
        let shapes = parameterShapes
        shapePrecondition(
            parameters.count == shapes.count,
            "\(op): expected \(shapes.count) parameters \(parameterNames) but got \(parameters.count)")
        for (index, (parameter, shape)) in zip(parameters, shapes).enumerated() {
            shapePrecondition(
                parameter.shape == shape,
                "\(op): parameter \(index) '\(parameterNames[index])' has shape \(parameter.shape), expected \(shape)")
        }
    }
}
