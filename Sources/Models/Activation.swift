import Autograd

/// The nonlinearity a ``Dense`` layer applies after its affine map.
///
/// Each case is built from Autograd's differentiable ops, so its gradient needs no code here.
public enum Activation: String, Sendable, CaseIterable, Equatable {
    /// The identity: the layer's output is its logits.
    case linear
    /// max(x, 0).
    case relu
    /// 1 / (1 + e⁻ˣ).
    case sigmoid
    /// tanh x.
    case tanh
    /// ln(1 + eˣ).
    case softplus
    /// exp(xᵢ) / Σⱼ exp(xⱼ) along the last axis. Prefer `linear` with a softmax cross-entropy
    /// loss on the logits: it is more stable and cheaper.
    case softmax

    /// Applies the activation to `x`.
    public func callAsFunction(_ x: Tensor) -> Tensor {
        switch self {
        case .linear: return x
        case .relu: return x.relu()
        case .sigmoid: return x.sigmoid()
        case .tanh: return x.tanh()
        case .softplus: return x.softplus()
        case .softmax: return x.softmax(alongAxis: -1)
        }
    }
}
