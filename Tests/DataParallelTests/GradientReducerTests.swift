import Autograd
import Testing
import _TestSupport
@testable import DataParallel

/// Element `e` of parameter `p` in slot `index`: values whose sum depends on the order of
/// addition.
private func slotValue(_ index: Int, parameter p: Int, element e: Int) -> Float {
    let magnitude: Float = index % 2 == 0 ? 1e7 : 1
    return magnitude * Float((e * 7 + index * 13 + p) % 11) - 5e6 * Float(index % 3)
}

/// Slots filled with ``slotValue(_:parameter:element:)``.
private func makeSlots(parameterShapes: [[Int]], slotCount: Int) -> GradientSlots {
    let slots = GradientSlots(layout: ParameterLayout(shapes: parameterShapes), slotCount: slotCount)
    for index in 0..<slotCount {
        slots.store(parameterShapes.enumerated().map { parameter, shape in
            Tensor(shape: shape) { buffer in
                for e in buffer.indices { buffer[e] = slotValue(index, parameter: parameter, element: e) }
            }
        }, inSlot: index)
    }
    return slots
}

/// The expected reduction of element `e` of parameter `p`, added in `active` order.
private func expected(_ active: [Int], parameter p: Int, element e: Int, divisor: Float) -> Float {
    let values = active.map { slotValue($0, parameter: p, element: e) }
    return values.dropFirst().reduce(values[0], +) / divisor
}

@Test func layoutPlacesParametersOneAfterAnother() {
    let layout = ParameterLayout(shapes: [[3, 4], [4], [], [2, 2]])
    #expect(layout.offsets == [0, 12, 16, 17])
    #expect(layout.counts == [12, 4, 1, 4])
    #expect(layout.totalCount == 21)
}

@Test(arguments: [1, 2, 3, 8])
func reductionSumsActiveSlotsInOrderThenDivides(threads: Int) {
    // 9 900 + 100 elements: more than two chunks, not a multiple of the chunk size.
    let shapes = [[100, 99], [100]]
    let slots = makeSlots(parameterShapes: shapes, slotCount: 6)
    let active = [0, 2, 3, 5]
    let output = UnsafeMutableBufferPointer<Float>.allocate(capacity: slots.layout.totalCount)
    defer { output.deallocate() }
    output.initialize(repeating: .nan)
    InProcessGradientReducer(threads: threads).allReduce(slots, activeSlots: active, divisor: 24, into: output)
    var mismatches = 0
    for p in shapes.indices {
        for e in 0..<slots.layout.counts[p] {
            let value = output[slots.layout.offsets[p] + e]
            if value.bitPattern != expected(active, parameter: p, element: e, divisor: 24).bitPattern { mismatches += 1 }
        }
    }
    #expect(mismatches == 0)
}

@Test(arguments: [1, 2, 3])
func everyElementIsHandedOverOnceInChunksThatFitTheirParameter(threads: Int) {
    let shapes = [[3, 5000], [1], [4096], [4097]]
    let slots = makeSlots(parameterShapes: shapes, slotCount: 2)
    let seen = Locked<[[Int]]>(shapes.map { Array(repeating: 0, count: $0.reduce(1, *)) })
    InProcessGradientReducer(threads: threads).allReduce(slots, activeSlots: [1, 0], divisor: 2) { chunk in
        #expect(chunk.values.count == chunk.elements.count)
        #expect(chunk.elements.count <= InProcessGradientReducer.chunkSize)
        seen.withLock { seen in
            for e in chunk.elements { seen[chunk.parameter][e] += 1 }
        }
    }
    seen.withLock { seen in
        #expect(seen.allSatisfy { $0.allSatisfy { $0 == 1 } })
    }
}

@Test func aParameterWithoutGradientCountsAsZeros() {
    let slots = GradientSlots(layout: ParameterLayout(shapes: [[2], [3]]), slotCount: 2)
    slots.store([Tensor([1, 2]), nil], inSlot: 0)
    slots.store([Tensor([3, 4]), Tensor([5, 6, 7])], inSlot: 1)
    let output = UnsafeMutableBufferPointer<Float>.allocate(capacity: 5)
    defer { output.deallocate() }
    InProcessGradientReducer(threads: 2).allReduce(slots, activeSlots: [0, 1], divisor: 2, into: output)
    #expect(Array(output) == [2, 3, 2.5, 3, 3.5])
}

@Test func storingKeepsTheTensorsUncopiedUntilTheSlotIsEmptied() {
    let slots = GradientSlots(layout: ParameterLayout(shapes: [[3]]), slotCount: 1)
    var gradient = Tensor([1, 2, 3])
    let original = gradient.withUnsafeBufferPointer { Int(bitPattern: $0.baseAddress!) }
    slots.store([gradient], inSlot: 0)
    let stored = slots.withGradients(ofSlots: [0]) { Int(bitPattern: $0.gradient(slot: 0, parameter: 0)) }
    #expect(stored == original)
    slots.removeGradients(inSlot: 0)
    // The slot let go: the tensor is unique again and is written in place, not copied.
    let written = gradient.withUnsafeMutableBufferPointer { Int(bitPattern: $0.baseAddress!) }
    #expect(written == original)
}

@Test func storingAGradientOfTheWrongSizeStopsNamingTheShapes() async {
    await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
        let slots = GradientSlots(layout: ParameterLayout(shapes: [[2, 2]]), slotCount: 1)
        slots.store([Tensor([1, 2, 3])], inSlot: 0)
    }.map { result in
        let message = standardError(of: result)
        #expect(message.contains("GradientSlots.store"))
        #expect(message.contains("[3]") && message.contains("[2, 2]"))
    }
}
