import Autograd
import JSON
/// The value of an expression at a point and its derivatives there, as returned by
/// ``Expression/evaluate(at:order:)``.
public struct Derivatives: Sendable, Equatable {
    /// f at the point.
    public let value: Float
    /// The variables reported, in order: the expression's own in order of first appearance,
    /// then names given a value but unused by the expression, sorted.
    public let variables: [String]
    /// ∂f/∂v for each variable (0 for one the expression does not use).
    public let gradient: [String: Float]
    /// ∂²f/∂v² for each variable, or `nil` when only first derivatives were asked for.
    public let secondDerivatives: [String: Float]?

    /// Makes a result; every name in `variables` must have an entry in `gradient` (and in
    /// `secondDerivatives`, if given).
    public init(value: Float, variables: [String], gradient: [String: Float], secondDerivatives: [String: Float]? = nil) {
        usagePrecondition(variables.allSatisfy { gradient[$0] != nil }, "Derivatives: every variable needs a gradient entry")
        usagePrecondition(secondDerivatives.map { s in variables.allSatisfy { s[$0] != nil } } ?? true,
                     "Derivatives: every variable needs a second-derivative entry")
        self.value = value
        self.variables = variables
        self.gradient = gradient
        self.secondDerivatives = secondDerivatives
    }
}

extension Derivatives {
    /// The result as plain text, as `swiftgrad grad` prints it.
    ///
    /// - One variable and first derivatives only: the derivative alone, e.g. `920`, so that a
    ///   script can use the output as a number.
    /// - Otherwise, one `d/dv = …` line per variable in ``variables`` order, then with second
    ///   derivatives one `d2/dv2 = …` line per variable:
    ///   ```text
    ///   d/dx = -1.9292628
    ///   d/dy = 1.5
    ///   d2/dx2 = -0.997495
    ///   d2/dy2 = 0
    ///   ```
    /// - No variable at all: `value = …`, since there is nothing to differentiate.
    ///
    /// Numbers use ``format(_:)``. The value itself is in ``jsonText``.
    public var plainText: String {
        if variables.isEmpty { return "value = \(Derivatives.format(value))" }
        if variables.count == 1, secondDerivatives == nil { return Derivatives.format(gradient[variables[0]]!) }
        var lines = variables.map { "d/d\($0) = \(Derivatives.format(gradient[$0]!))" }
        if let secondDerivatives {
            lines += variables.map { "d2/d\($0)2 = \(Derivatives.format(secondDerivatives[$0]!))" }
        }
        return lines.joined(separator: "\n")
    }

    /// The result as one line of JSON, keys of the inner objects in ``variables`` order:
    ///
    /// ```json
    /// {"value": 3100, "gradient": {"x": 920}, "second_derivative": {"x": 182}}
    /// ```
    ///
    /// `second_derivative` is present only when second derivatives were computed. Numbers use
    /// ``format(_:)``; JSON has no NaN or infinity, so those are written as `null`.
    public var jsonText: String {
        func number(_ x: Float) -> JSONValue {
            x.isFinite ? JSONValue(.number(JSONNumber(literal: Derivatives.format(x)))) : .null
        }
        func object(_ values: [String: Float]) -> JSONValue {
            var object = JSONObject()
            for name in variables { object[name] = number(values[name]!) }
            return .object(object)
        }
        var result: JSONObject = ["value": number(value), "gradient": object(gradient)]
        if let secondDerivatives { result["second_derivative"] = object(secondDerivatives) }
        // Every number is finite or already null, and nothing else can fail to encode.
        return try! JSONValue.object(result).encoded(.singleLine, nonFinite: .writeNull)
    }

    /// What is not a finite number, as one phrase, or `nil` when the value and every derivative
    /// are finite: `the value is -inf, d/dx is inf`. The text and JSON forms still print such
    /// numbers (`inf`, `nan`; `null` in JSON), so callers use this to say so plainly: `swiftgrad
    /// grad` prints it on standard error and exits with status 1.
    public var nonFiniteDescription: String? {
        var entries: [String] = []
        if !value.isFinite { entries.append("the value is \(Derivatives.format(value))") }
        for name in variables where !gradient[name]!.isFinite {
            entries.append("d/d\(name) is \(Derivatives.format(gradient[name]!))")
        }
        if let secondDerivatives {
            for name in variables where !secondDerivatives[name]!.isFinite {
                entries.append("d2/d\(name)2 is \(Derivatives.format(secondDerivatives[name]!))")
            }
        }
        return entries.isEmpty ? nil : entries.joined(separator: ", ")
    }

    /// `x` written as the shortest decimal that reads back as the same `Float`, with integral
    /// values written without `.0` (`920`, not `920.0`) and −0 written as `0`; `nan`, `inf` and
    /// `-inf` for the special values. Very large or small magnitudes use exponents (`1e+20`).
    public static func format(_ x: Float) -> String {
        if x == 0 { return "0" }
        let text = x.description
        return text.hasSuffix(".0") ? String(text.dropLast(2)) : text
    }
}
