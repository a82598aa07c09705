import Autograd
import CKernels
import Dispatch

/// The elementwise rule of one optimizer step, with its constants (learning rate, Adam's bias
/// correction) fixed for that step.
///
/// Element `i` of the variable and of its slots changes from element `i` of the gradient alone,
/// so a rule may be applied to any range of a variable, on any thread, and the bits do not depend
/// on how the variable was split.
protocol UpdateRule: Sendable {
    /// Updates `parameter` and `slots` in place from `gradient`; all have the same count.
    func update(
        _ parameter: UnsafeMutableBufferPointer<Float>, gradient: UnsafeBufferPointer<Float>,
        slots: [UnsafeMutableBufferPointer<Float>])
}

/// One step's rule with the decoupled weight decay that precedes it, applied to whole variables
/// or to element ranges.
struct StepKernel: Sendable {
    let rule: any UpdateRule
    /// λ, or nil without weight decay.
    let decay: Float?
    let learningRate: Float

    /// Variables below this many elements are updated on one thread: splitting them costs more
    /// than it saves.
    static let parallelMinimum = 32_768

    /// Updates elements `range` of one variable from `gradient`, the gradient of those elements
    /// alone (`range.count` values).
    func apply(
        _ parameter: UnsafeMutableBufferPointer<Float>, rangeGradient gradient: UnsafeBufferPointer<Float>,
        slots: [UnsafeMutableBufferPointer<Float>], range: Range<Int>
    ) {
        let part = UnsafeMutableBufferPointer(rebasing: parameter[range])
        if let decay {
            // Keras: variable.assign(variable - variable * wd * lr), before the update.
            for index in part.indices { part[index] -= part[index] * decay * learningRate }
        }
        // A whole variable (every small one) passes its slots as they are: no array to make.
        let slotParts = range.count == parameter.count ? slots : slots.map { UnsafeMutableBufferPointer(rebasing: $0[range]) }
        rule.update(part, gradient: gradient, slots: slotParts)
    }

    /// Updates a whole variable, split into ranges across up to `threads` Dispatch threads when
    /// it is large.
    func apply(
        _ parameter: UnsafeMutableBufferPointer<Float>, gradient: UnsafeBufferPointer<Float>,
        slots: [UnsafeMutableBufferPointer<Float>], threads: Int
    ) {
        let count = parameter.count
        guard count > 0 else { return }
        let parts = count >= Self.parallelMinimum ? Swift.min(threads, count / Self.parallelMinimum * 2) : 1
        guard parts > 1 else {
            apply(parameter, rangeGradient: gradient, slots: slots, range: 0..<count)
            return
        }
        let buffers = UnsafeVariableBuffers(parameter: parameter, gradient: gradient, slots: slots)
        DispatchQueue.concurrentPerform(iterations: parts) { part in
            // Inner range ends are rounded down to multiples of 16 elements (64 bytes). The
            // buffers are not 64-byte aligned, so neighbouring threads may still share a cache
            // line at a boundary; the split changes no element's arithmetic either way.
            let start = (count * part / parts) & ~15
            let end = part == parts - 1 ? count : (count * (part + 1) / parts) & ~15
            guard start < end else { return }
            apply(
                buffers.parameter, rangeGradient: UnsafeBufferPointer(rebasing: buffers.gradient[start..<end]),
                slots: buffers.slots, range: start..<end)
        }
    }
}

/// One variable's buffers, handed to the threads that update disjoint ranges of them.
private struct UnsafeVariableBuffers: @unchecked Sendable {
    let parameter: UnsafeMutableBufferPointer<Float>
    let gradient: UnsafeBufferPointer<Float>
    let slots: [UnsafeMutableBufferPointer<Float>]
}

/// One optimizer step that takes its gradients piece by piece, from any threads: made by
/// ``Optimizer/applyPartitioned(to:_:)`` for the duration of its closure.
///
/// The data-parallel trainer hands each range of the all-reduced gradient over as soon as it is
/// summed, on the thread that summed it, so the update runs while those elements are still in
/// that core's cache and no whole-gradient tensor is ever made. Every element goes through the
/// same arithmetic as ``Optimizer/apply(_:to:)``, so the result is bitwise the same.
///
/// ```swift
/// optimizer.applyPartitioned(to: variables) { step in
///     DispatchQueue.concurrentPerform(iterations: 2) { half in
///         let range = half == 0 ? 0..<500 : 500..<1000
///         step.update(variable: 0, elements: range, gradient: gradientPointer + range.lowerBound)
///     }
/// }
/// ```
public struct PartitionedStep: @unchecked Sendable {
    private let kernel: StepKernel
    private let clipLimit: Float?
    private let parameters: [UnsafeMutableBufferPointer<Float>]
    /// Each variable's slots, or nil for a variable that is not trainable.
    private let slots: [[UnsafeMutableBufferPointer<Float>]?]
    private let names: [String]

    init(
        kernel: StepKernel, clipLimit: Float?, parameters: [UnsafeMutableBufferPointer<Float>],
        slots: [[UnsafeMutableBufferPointer<Float>]?], names: [String]
    ) {
        self.kernel = kernel
        self.clipLimit = clipLimit
        self.parameters = parameters
        self.slots = slots
        self.names = names
    }

    /// Updates elements `elements` of variable `variable` (its index in the array given to
    /// `applyPartitioned`) from their gradient.
    ///
    /// Call it exactly once for every element of every variable during the step; calls on
    /// different threads must cover disjoint elements. A variable that is not trainable is left
    /// as it is.
    ///
    /// - Parameters:
    ///   - variable: the variable's index.
    ///   - elements: the range of its elements (row-major) to update.
    ///   - gradient: `elements.count` values: the gradient of those elements, already summed and
    ///     averaged over the batch.
    public func update(variable: Int, elements: Range<Int>, gradient: UnsafePointer<Float>) {
        let parameter = checkedParameter(variable, elements: elements, caller: "update")
        guard let slots = slots[variable], !elements.isEmpty else { return }
        let count = elements.count
        guard let limit = clipLimit else {
            kernel.apply(parameter, rangeGradient: UnsafeBufferPointer(start: gradient, count: count), slots: slots, range: elements)
            return
        }
        // Clipping by value is elementwise too: clamp a copy of the range, in pieces of 1024.
        withUnsafeTemporaryAllocation(of: Float.self, capacity: Swift.min(count, 1024)) { scratch in
            var done = 0
            while done < count {
                let piece = Swift.min(count - done, scratch.count)
                for index in 0..<piece {
                    scratch[index] = Swift.min(Swift.max(gradient[done + index], -limit), limit)
                }
                let start = elements.lowerBound + done
                kernel.apply(
                    parameter, rangeGradient: UnsafeBufferPointer(rebasing: scratch[0..<piece]), slots: slots,
                    range: start..<(start + piece))
                done += piece
            }
        }
    }

    /// Whether elements `elements` of variable `variable` are all finite (no NaN, no infinity):
    /// called right after ``update(variable:elements:gradient:)`` on the same thread, it reads
    /// them while they are still in that core's cache, so a trainer learns whether the step left
    /// every parameter finite without a pass over all of them afterwards.
    public func elementsAreFinite(variable: Int, elements: Range<Int>) -> Bool {
        let parameter = checkedParameter(variable, elements: elements, caller: "elementsAreFinite")
        guard let base = parameter.baseAddress, !elements.isEmpty else { return true }
        return sg_first_non_finite(base + elements.lowerBound, elements.count) == elements.count
    }

    /// Variable `variable`'s buffer, once `variable` and `elements` are checked to lie within
    /// the step's variables and that variable's elements.
    private func checkedParameter(_ variable: Int, elements: Range<Int>, caller: String) -> UnsafeMutableBufferPointer<Float> {
        usagePrecondition(
            parameters.indices.contains(variable),
            "PartitionedStep.\(caller): variable index \(variable) is out of range 0..<\(parameters.count)")
        let parameter = parameters[variable]
        usagePrecondition(
            elements.lowerBound >= 0 && elements.upperBound <= parameter.count,
            "PartitionedStep.\(caller): elements \(elements) are out of range for variable '\(names[variable])' of \(parameter.count) elements")
        return parameter
    }
}

extension GradientClipping {
    /// The limit of clipping by value, the one clipping that works element by element.
    var elementwiseLimit: Float? {
        if case .byValue(let limit) = self { return limit }
        return nil
    }
}
