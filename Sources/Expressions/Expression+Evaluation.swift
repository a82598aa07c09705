import Autograd

extension Expression {
    /// The value of the expression and its derivatives with respect to every variable, computed
    /// with scalar ``Tensor`` operations under ``GradientTape``s.
    ///
    /// The first derivatives come from one tape watching every variable. For `order: 2` an outer
    /// tape records that whole computation, the inner tape's backward pass included (the
    /// pullbacks are tensor operations), so differentiating the first derivative ∂f/∂v again
    /// with respect to v gives ∂²f/∂v², as with nested `tf.GradientTape`s.
    ///
    /// A power whose exponent uses no variable (`x^3`, `x^(1/2)`, `x^-2`) uses
    /// ``Tensor/pow(_:)-(Float)``, so that `3*x^3 + x^2` at x = 10 gives exactly 920 and 182;
    /// any other power uses ``Tensor/pow(_:)-(Tensor)``, whose derivative in the exponent is
    /// xʸ·ln x, taken as 0 where x ≤ 0.
    ///
    /// - Parameters:
    ///   - values: a value for every variable of the expression; values for names the
    ///     expression does not use are allowed and get derivative 0.
    ///   - order: 1 for the value and first derivatives, 2 to add ∂²f/∂v² for each variable.
    /// - Returns: the value and derivatives. ``Derivatives/variables`` lists the expression's
    ///   variables in order of first appearance, then the unused names of `values` sorted.
    /// - Throws: ``ExpressionError`` with reason `.missingValue` and the column of the
    ///   variable's first appearance when `values` lacks one; `.unsupportedOrder` for an order
    ///   other than 1 or 2.
    ///
    /// ```swift
    /// let d = try Expression.parse("x*y + sin(x)").evaluate(at: ["x": 1.5, "y": -2])
    /// d.gradient["x"]   // y + cos x = -1.929…
    /// d.gradient["y"]   // x = 1.5
    /// ```
    public func evaluate(at values: [String: Float], order: Int = 1) throws -> Derivatives {
        guard order == 1 || order == 2 else {
            throw ExpressionError(.unsupportedOrder(order), "derivative order \(order) is not supported; use 1 or 2")
        }
        for name in variables where values[name] == nil {
            throw ExpressionError(
                .missingValue(variable: name), "no value given for the variable '\(ExpressionError.excerpt(name))'",
                column: firstColumns[name], source: source)
        }
        let unused = values.keys.filter { firstColumns[$0] == nil }.sorted()
        let names = variables + unused
        let sources = names.map { Tensor(values[$0]!) }
        let inputs = Dictionary(uniqueKeysWithValues: zip(names, sources))

        /// The value and its first derivatives, recorded by whatever tapes enclose the call.
        func firstOrder() -> (value: Tensor, gradient: [Tensor]) {
            let tape = GradientTape(watchAccessedVariables: false)
            for source in sources { tape.watch(source) }
            let value = tape.record { tensor(for: root, inputs: inputs) }
            let gradient = tape.gradient(of: value, withRespectTo: sources, unconnected: .zero).map { $0! }
            return (value, gradient)
        }

        let value: Tensor
        let firsts: [Tensor]
        var seconds: [String: Float]?
        if order == 1 {
            (value, firsts) = firstOrder()
        } else {
            let outer = GradientTape(persistent: true, watchAccessedVariables: false)
            for source in sources { outer.watch(source) }
            (value, firsts) = outer.record(firstOrder)
            var secondDerivatives: [String: Float] = [:]
            for (name, (first, source)) in zip(names, zip(firsts, sources)) {
                secondDerivatives[name] = outer.gradient(of: first, withRespectTo: source, unconnected: .zero)!.scalar
            }
            seconds = secondDerivatives
        }
        return Derivatives(
            value: value.scalar, variables: names,
            gradient: Dictionary(uniqueKeysWithValues: zip(names, firsts.map(\.scalar))),
            secondDerivatives: seconds)
    }

    /// The expression built from tensor operations on `inputs`, recorded by whatever tapes are
    /// recording: the way to minimise an expression with an optimizer.
    ///
    /// - Precondition: `inputs` has a tensor for every name in ``variables`` (``evaluate(at:order:)``
    ///   checks this and throws instead).
    public func tensor(with inputs: [String: Tensor]) -> Tensor {
        for name in variables {
            usagePrecondition(inputs[name] != nil, "Expression.tensor(with:): no value for the variable '\(name)'")
        }
        return tensor(for: root, inputs: inputs)
    }

    /// Builds `node` from tensor operations. It recurses once per level of nesting, bounded by
    /// ``maximumDepth``, and loops along a chain of `+ - * /`.
    private func tensor(for node: Node, inputs: [String: Tensor]) -> Tensor {
        switch node.form {
        case .chain(let first, let links):
            var result = tensor(for: first, inputs: inputs)
            for link in links {
                result = Expression.apply(link.op, result, tensor(for: link.operand, inputs: inputs))
            }
            return result
        case .single(let kind):
            switch kind {
            case .number(let value):
                return Tensor(value)
            case .variable(let name):
                return inputs[name]!
            case .negation(let operand):
                return -tensor(for: operand, inputs: inputs)
            case .binary(let op, let left, let right):
                let a = tensor(for: left, inputs: inputs)
                if op == .power, right.isConstant {
                    return a.pow(tensor(for: right, inputs: inputs).scalar)
                }
                return Expression.apply(op, a, tensor(for: right, inputs: inputs))
            case .call(let function, let argument):
                return function(tensor(for: argument, inputs: inputs))
            }
        }
    }

    /// `a op b` as a tensor operation.
    private static func apply(_ op: BinaryOperator, _ a: Tensor, _ b: Tensor) -> Tensor {
        switch op {
        case .add: return a + b
        case .subtract: return a - b
        case .multiply: return a * b
        case .divide: return a / b
        case .power: return a.pow(b)
        }
    }
}
