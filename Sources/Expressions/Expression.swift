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
/// ASCII identifiers (`x`, `y_2`); the functions are those of ``functions``.
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

    /// The deepest nesting of parentheses, calls, unary minus and powers that ``parse(_:)``
    /// accepts. Its length is not limited: a chain of `+ - * /` such as `x+x+…+x` is read in a
    /// loop and held as a list (see ``Node``), however many terms it has.
    ///
    /// Parsing, evaluation and freeing the tree recurse a few calls per level of nesting and
    /// not at all along a chain; 256 levels stay far below any thread's stack while being deeper
    /// than any expression a person writes by hand.
    public static let maximumDepth = 256

    /// The longest source ``parse(_:)`` accepts, in UTF-8 bytes: 1 MiB, far more than any
    /// expression a person writes, little enough to parse in a moment.
    public static let maximumSourceBytes = 1 << 20

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
    ///
    /// A left-associative chain such as `a - b + c*d` is held as one node: its first operand and
    /// a list of (operator, operand) links. So a sum of ten thousand terms is a list, not a tree
    /// ten thousand levels deep, and building, evaluating, printing, comparing and freeing it
    /// loop over the list instead of recursing once per term. ``kind`` still shows such a node
    /// as nested binary operations, `((a - b) + (c * d))`, its last operation outermost.
    public struct Node: Sendable, Equatable, CustomStringConvertible {
        /// How the node is held: one operation, or a chain of `+ - * /`.
        let form: Form
        /// The 1-based column (in characters) of the node's number, name or operator.
        public let column: Int
        /// Whether the subtree uses no variable, so that its value is a constant.
        let isConstant: Bool

        /// Makes a node; a binary `+ - * /` joins the chain of its left operand.
        ///
        /// - Complexity: O(n) for a left operand that is a chain of n operations; the parser
        ///   builds chains with ``ChainBuilder`` instead.
        init(_ kind: Kind, column: Int) {
            switch kind {
            case .binary(let op, let left, let right) where op != .power:
                var chain = ChainBuilder(left)
                chain.append(op, right, column: column)
                self = chain.node
            case .number:
                self.init(form: .single(kind), column: column, isConstant: true)
            case .variable:
                self.init(form: .single(kind), column: column, isConstant: false)
            case .negation(let operand), .call(_, let operand):
                self.init(form: .single(kind), column: column, isConstant: operand.isConstant)
            case .binary(_, let left, let right):
                self.init(form: .single(kind), column: column, isConstant: left.isConstant && right.isConstant)
            }
        }

        private init(form: Form, column: Int, isConstant: Bool) {
            self.form = form
            self.column = column
            self.isConstant = isConstant
        }

        /// What the node computes. For a chain `a - b + c` this is its last operation, `+`, with
        /// the rest of the chain, `a - b`, as the left operand (made in O(1)).
        public var kind: Kind {
            switch form {
            case .single(let kind):
                return kind
            case .chain(let first, let links):
                let last = links[links.endIndex - 1]
                return .binary(last.op, Node(first: first, links: links.dropLast()), last.operand)
            }
        }

        /// `first` followed by `links`: `first` itself when there are none, else a chain.
        fileprivate init(first: Node, links: ArraySlice<Link>) {
            guard let last = links.last else {
                self = first
                return
            }
            self.init(form: .chain(first: first, links: links), column: last.column, isConstant: last.isConstant)
        }

        /// The node written with every operation in parentheses, e.g. `(-(x ^ 2))` for `-x^2`:
        /// it shows exactly how the parser grouped the source.
        public var description: String {
            switch form {
            case .chain(let first, let links):
                var text = String(repeating: "(", count: links.count) + first.description
                for link in links { text += " \(link.op.rawValue) \(link.operand))" }
                return text
            case .single(let kind):
                switch kind {
                case .number(let value): return Derivatives.format(value)
                case .variable(let name): return name
                case .negation(let operand): return "(-\(operand))"
                case .binary(let op, let left, let right): return "(\(left) \(op.rawValue) \(right))"
                case .call(let function, let argument):
                    let text = argument.description
                    return text.hasPrefix("(") ? "\(function.name)\(text)" : "\(function.name)(\(text))"
                }
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
        /// One of ``Expression/functions`` applied to one argument.
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
}

extension Expression.Node {
    /// How a node is held.
    enum Form: Sendable, Equatable {
        /// A number, a variable, a negation, a call or a power.
        case single(Expression.Kind)
        /// `first op₁ r₁ op₂ r₂ … opₙ rₙ` read from the left, ((first op₁ r₁) op₂ r₂) …, each
        /// opᵢ one of `+ - * /`. `links` is not empty, and `first` is not a chain: a chain
        /// whose first operand would be one continues that chain instead.
        indirect case chain(first: Expression.Node, links: ArraySlice<Link>)
    }

    /// One step of a chain: the operator, its right operand and the operator's column.
    struct Link: Sendable, Equatable {
        let op: Expression.BinaryOperator
        let operand: Expression.Node
        let column: Int
        /// Whether the chain up to and including this link uses no variable.
        let isConstant: Bool
    }

    /// Builds a chain one link at a time, in amortised O(1) per link.
    struct ChainBuilder {
        private var first: Expression.Node
        private var links: [Link]

        /// Starts with `start`, continuing its chain if it is one.
        init(_ start: Expression.Node) {
            if case .chain(let first, let links) = start.form {
                (self.first, self.links) = (first, Array(links))
            } else {
                (first, links) = (start, [])
            }
        }

        /// Appends `op operand`, with `op` one of `+ - * /` at `column`.
        mutating func append(_ op: Expression.BinaryOperator, _ operand: Expression.Node, column: Int) {
            let isConstant = (links.last?.isConstant ?? first.isConstant) && operand.isConstant
            links.append(Link(op: op, operand: operand, column: column, isConstant: isConstant))
        }

        /// The chain so far (the start alone if nothing was appended).
        var node: Expression.Node {
            Expression.Node(first: first, links: links[...])
        }
    }
}
