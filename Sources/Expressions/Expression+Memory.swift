/// How much memory differentiating an expression takes, for a caller to check before it does.
extension Expression {
    /// The operations of the syntax tree: each number, variable, negation, call and power, and
    /// each operator of a chain of `+ - * /`. Evaluation records about one tape entry per
    /// operation, and twice over with second derivatives.
    ///
    /// - Complexity: O(n) in the operations; it recurses once per level of nesting (at most
    ///   ``maximumDepth``) and loops along a chain.
    public var operationCount: Int { Self.operations(in: root) }

    /// About the most bytes ``evaluate(at:order:)`` holds at once for each operation: the
    /// scalar tensors, the tape's records and their pullbacks, with a second tape recording the
    /// first's backward pass for `order: 2`. Measured on Linux x86-64, the most of any
    /// operation was about 300 bytes for first derivatives and 1 460 for second (a power whose
    /// exponent is a variable, `x^y`); the figures leave room above those.
    ///
    /// - Parameter order: 1 for first derivatives, 2 to add second derivatives.
    public static func evaluationBytesPerOperation(order: Int) -> Int {
        order >= 2 ? 2048 : 512
    }

    private static func operations(in node: Node) -> Int {
        switch node.form {
        case .chain(let first, let links):
            return links.reduce(operations(in: first)) { $0 + 1 + operations(in: $1.operand) }
        case .single(let kind):
            switch kind {
            case .number, .variable: return 1
            case .negation(let operand), .call(_, let operand): return 1 + operations(in: operand)
            case .binary(_, let left, let right): return 1 + operations(in: left) + operations(in: right)
            }
        }
    }
}
