import Autograd

extension Sequential {
    /// The dense layers of this model's inference pass, in order, when that pass is nothing but
    /// fused dense layers; `nil` otherwise.
    ///
    /// A layer belongs to such a pass when it is a ``Dense`` layer whose activation the fused op
    /// applies itself (``Activation/linear`` or ``Activation/relu``), or a layer that is the
    /// identity outside training (``Dropout``, which has no parameters). An inference engine can
    /// then run the pass straight on buffers of its own, with the same kernels and the same bits
    /// as ``callAsFunction(_:parameters:kernels:)``; the parameters are `[weight, bias]` of each
    /// dense layer in turn.
    public var fusedDenseLayers: [Dense]? {
        var dense: [Dense] = []
        for layer in layers {
            switch layer {
            case let layer as Dense where layer.activation == .linear || layer.activation == .relu:
                dense.append(layer)
            case is Dropout:
                continue
            default:
                return nil
            }
        }
        return dense.isEmpty ? nil : dense
    }
}

extension MLP {
    /// ``Sequential/fusedDenseLayers`` of the model's layers: all of them when the hidden
    /// activation is linear or ReLU.
    public var fusedDenseLayers: [Dense]? { sequential.fusedDenseLayers }
}
