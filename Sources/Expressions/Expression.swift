/// A parsed arithmetic expression in named scalar variables, such as `3*x^3 + x^2`.
///
/// Parse text with ``parse(_:)``, then differentiate it with
/// ``evaluate(at:order:)``, which builds the expression from ``Autograd`` tensor operations under
/// gradient tapes:
///
/// ```swift
/// let f = try Expression.parse("3*x^3 + x^2")
/// let d = try f.evaluate(at: ["x": 10], order: 2)
/// d.value                      // 3100
/// d.gradient["x"]              // 920
/// d.secondDerivatives?["x"]    // 182
/// ```
///
/// The grammar, from loosest to tightest binding:
///
/// ```text
/// sum      := product (('+' | '-') product)*          left-associative
/// product  := unary (('*' | '/') unary)*              left-associative
/// unary    := '-' unary | power
/// power    := primary ('^' unary)?                    right-associative
/// primary  := number | variable | function '(' sum ')' | '(' sum ')'
/// ```
///
/// So `^` binds tighter than unary minus, as in mathematics: `-x^2` is −(x²), `2^-x` is 2^(−x),
/// and `2^3^2` is 2^(3²) = 512. Numbers are decimal (`3`, `0.5`, `.5`, `1e-3`); variables are
/// ASCII identifiers (`x`, `y_2`); the functions are those of ``Function``.
///
/// Foundation declares an `Expression` type too on recent platforms; a file that imports both
/// modules writes `Expressions.Expression`.
public struct Expression: Sendable, CustomStringConvertible {
    /// The text the expression was parsed from.
    public let source: String
    /// The root of the syntax tree.
    public let root: Node
    /// The names of the variables, in order of first appearance in ``source``.
    public let variables: [String]
    /// The 1-based column of each variable's first appearance, for error messages.
    let firstColumns: [String: Int]

    /// The deepest tree (and the deepest nesting of parentheses, calls and unary minus) that
    /// ``parse(_:)`` accepts.
    ///
    /// Parsing, evaluation and freeing the tree all recurse once per level; 256 levels stay far
    /// below any thread's stack while being deeper than any expression a person writes by hand.
    public static let maximumDepth = 256

    init(source: String, root: Node, variables: [String], firstColumns: [String: Int]) {
        self.source = source
        self.root = root
        self.variables = variables
        self.firstColumns = firstColumns
    }

    /// The source text.
    public var description: String { source }
}

extension Expression {
    /// One node of the syntax tree, with the column where it appears in the source.
    public struct Node: Sendable, Equatable, CustomStringConvertible {
        /// What the node computes.
        public let kind: Kind
        /// The 1-based column (in characters) of the node's number, name or operator.
        public let column: Int
        /// The number of nodes on the longest path from here to a leaf, counting this one.
        let height: Int
        /// Whether the subtree uses no variable, so that its value is a constant.
        let isConstant: Bool

        init(_ kind: Kind, column: Int) {
            self.kind = kind
            self.column = column
            switch kind {
            case .number:
                (height, isConstant) = (1, true)
            case .variable:
                (height, isConstant) = (1, false)
            case .negation(let operand), .call(_, let operand):
                (height, isConstant) = (operand.height + 1, operand.isConstant)
            case .binary(_, let left, let right):
                (height, isConstant) = (max(left.height, right.height) + 1, left.isConstant && right.isConstant)
            }
        }

        /// The node written with every operation in parentheses, e.g. `(-(x ^ 2))` for `-x^2`:
        /// it shows exactly how the parser grouped the source.
        public var description: String {
            switch kind {
            case .number(let value): return Derivatives.format(value)
            case .variable(let name): return name
            case .negation(let operand): return "(-\(operand))"
            case .binary(let op, let left, let right): return "(\(left) \(op.rawValue) \(right))"
            case .call(let function, let argument):
                let text = argument.description
                return text.hasPrefix("(") ? "\(function.rawValue)\(text)" : "\(function.rawValue)(\(text))"
            }
        }
    }

    /// What a ``Node`` computes.
    public indirect enum Kind: Sendable, Equatable {
        /// A number written in the source.
        case number(Float)
        /// A variable, by name.
        case variable(String)
        /// Unary minus.
        case negation(Node)
        /// A binary operation.
        case binary(BinaryOperator, Node, Node)
        /// A function applied to one argument.
        case call(Function, Node)
    }

    /// The binary operators, by their symbol.
    public enum BinaryOperator: Character, Sendable, CaseIterable {
        case add = "+"
        case subtract = "-"
        case multiply = "*"
        case divide = "/"
        /// Exponentiation, right-associative and tighter than unary minus.
        case power = "^"
    }

    /// The functions an expression may call, each with one argument.
    public enum Function: String, Sendable, CaseIterable {
        /// eˣ; derivative eˣ.
        case exp
        /// Natural logarithm; derivative 1/x.
        case log
        /// Square root; derivative 1/(2√x).
        case sqrt
        /// |x|; derivative sign(x), 0 at 0.
        case abs
        /// Sine; derivative cos x.
        case sin
        /// Cosine; derivative −sin x.
        case cos
        /// Hyperbolic tangent; derivative 1 − tanh² x.
        case tanh
        /// The logistic function 1/(1 + e⁻ˣ); derivative σ(x)(1 − σ(x)).
        case sigmoid
        /// max(x, 0); derivative 1 for x > 0, else 0.
        case relu
    }
}
