import Testing
import Training

/// Fills slots with values whose sum depends on the order of addition.
private func makeSlots(parameterShapes: [[Int]], slotCount: Int) -> GradientSlots {
    let slots = GradientSlots(layout: ParameterLayout(shapes: parameterShapes), slotCount: slotCount)
    for index in 0..<slotCount {
        let slot = slots.slot(index)
        for e in slot.indices {
            let magnitude: Float = index % 2 == 0 ? 1e7 : 1
            slot[e] = magnitude * Float((e * 7 + index * 13) % 11) - 5e6 * Float(index % 3)
        }
    }
    return slots
}

@Test func layoutPlacesParametersOneAfterAnother() {
    let layout = ParameterLayout(shapes: [[3, 4], [4], [], [2, 2]])
    #expect(layout.offsets == [0, 12, 16, 17])
    #expect(layout.counts == [12, 4, 1, 4])
    #expect(layout.totalCount == 21)
}

@Test(arguments: [1, 2, 3, 8])
func reductionSumsActiveSlotsInOrderThenDivides(threads: Int) {
    // 10 000 elements: more than two blocks, not a multiple of the block size.
    let slots = makeSlots(parameterShapes: [[100, 99], [100]], slotCount: 6)
    let active = [0, 2, 3, 5]
    let output = UnsafeMutableBufferPointer<Float>.allocate(capacity: slots.layout.totalCount)
    defer { output.deallocate() }
    InProcessGradientReducer(threads: threads).allReduce(slots, activeSlots: active, divisor: 24, into: output)
    for e in 0..<slots.layout.totalCount {
        var sum = slots.slot(active[0])[e]
        for slot in active.dropFirst() { sum += slots.slot(slot)[e] }
        #expect(output[e].bitPattern == (sum / 24).bitPattern)
        if output[e].bitPattern != (sum / 24).bitPattern { break }
    }
}

@Test func slotsDoNotShareCacheLines() {
    let slots = GradientSlots(layout: ParameterLayout(shapes: [[3]]), slotCount: 4)
    let addresses = (0..<4).map { Int(bitPattern: slots.slot($0).baseAddress!) }
    #expect(addresses.allSatisfy { $0 % 64 == 0 })
    #expect(zip(addresses, addresses.dropFirst()).allSatisfy { $1 - $0 >= 64 })
}
