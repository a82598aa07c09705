import Autograd

/// The functions an expression may call: one table that both the parser and the evaluator read.
extension Expression {
    /// A function an expression may call with one argument: its name and the differentiable
    /// ``Tensor`` operation it applies, whose gradient rule sits beside the operation in
    /// `Autograd`.
    ///
    /// The functions are the entries of ``Expression/functions``; two functions are equal when
    /// their names are.
    public struct Function: Sendable, Equatable, CustomStringConvertible {
        /// The name an expression calls it by, e.g. `sin`.
        public let name: String
        /// The operation, recorded by whatever tapes are recording.
        private let operation: @Sendable (Tensor) -> Tensor

        init(_ name: String, _ operation: @escaping @Sendable (Tensor) -> Tensor) {
            self.name = name
            self.operation = operation
        }

        /// The function applied to `x`, recorded by whatever tapes are recording.
        public func callAsFunction(_ x: Tensor) -> Tensor {
            operation(x)
        }

        /// The name.
        public var description: String { name }

        public static func == (a: Function, b: Function) -> Bool {
            a.name == b.name
        }
    }

    /// Every function an expression may call, in the order that error messages and
    /// `swiftgrad grad --help` list them.
    ///
    /// Adding an entry is all it takes to add a function: the parser recognises the name, the
    /// evaluator applies the operation under the tapes, the error for an unknown function and
    /// the command's help list it, and the tests check its derivatives against finite
    /// differences. Names are identifiers and distinct.
    public static let functions: [Function] = [
        Function("exp") { $0.exp() },          // eˣ
        Function("log") { $0.log() },          // natural logarithm
        Function("sqrt") { $0.sqrt() },        // square root
        Function("abs") { $0.abs() },          // |x|, derivative 0 at 0
        Function("sin") { $0.sin() },
        Function("cos") { $0.cos() },
        Function("tanh") { $0.tanh() },
        Function("sigmoid") { $0.sigmoid() },  // 1/(1 + e⁻ˣ)
        Function("relu") { $0.relu() },        // max(x, 0), derivative 0 at 0
    ]

    /// The names of ``functions``, in the same order.
    public static let functionNames: [String] = functions.map(\.name)

    /// The entry of ``functions`` called `name`, or `nil` when there is none.
    public static func function(named name: String) -> Function? {
        functionsByName[name]
    }

    /// ``functions`` by name; building it traps on a name given twice.
    private static let functionsByName = Dictionary(uniqueKeysWithValues: functions.map { ($0.name, $0) })
}
