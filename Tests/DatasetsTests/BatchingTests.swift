import Autograd
import Datasets
import Testing

@Test func epochOrderIsAReproduciblePermutation() {
    let order = epochOrder(seed: 42, epoch: 0, count: 324)
    #expect(order.sorted() == Array(0..<324))
    #expect(order != Array(0..<324))
    #expect(order == epochOrder(seed: 42, epoch: 0, count: 324))
    #expect(order != epochOrder(seed: 42, epoch: 1, count: 324))
    #expect(order != epochOrder(seed: 43, epoch: 0, count: 324))
    #expect(epochOrder(seed: 1, epoch: 5, count: 0) == [])
    #expect(epochOrder(seed: 1, epoch: 5, count: 1) == [0])
}

@Test func epochOrderDoesNotDependOnEarlierEpochs() {
    // Epoch 7 computed directly equals epoch 7 computed after running epochs 0...6.
    let direct = epochOrder(seed: 9, epoch: 7, count: 100)
    var replayed: [Int] = []
    for epoch in 0...7 { replayed = epochOrder(seed: 9, epoch: epoch, count: 100) }
    #expect(direct == replayed)
}

@Test func epochOrderIsRoughlyUniform() {
    // Over 2000 shuffles of 4 items, each item lands in each position about 500 times.
    var counts = [[Int]](repeating: [0, 0, 0, 0], count: 4)
    for epoch in 0..<2000 {
        for (position, item) in epochOrder(seed: 3, epoch: epoch, count: 4).enumerated() { counts[item][position] += 1 }
    }
    for row in counts { for count in row { #expect(count > 400 && count < 600) } }
}

@Test func batchesCoverEveryExampleOncePerEpoch() {
    let n = 103
    let data = Dataset(features: Tensor(shape: [n, 2], scalars: (0..<2 * n).map(Float.init)), classLabels: (0..<n).map { $0 % 10 })
    for epoch in 0..<3 {
        let batches = data.batches(size: 10, shuffleSeed: 11, epoch: epoch)
        #expect(batches.count == 11)
        #expect(batches.map(\.count) == Array(repeating: 10, count: 10) + [3])
        let seen = batches.flatMap(\.indices)
        #expect(seen.sorted() == Array(0..<n))
        #expect(seen == epochOrder(seed: 11, epoch: epoch, count: n))
        for batch in batches {
            #expect(batch.features.shape == [batch.count, 2])
            #expect(batch.targets.shape == [batch.count, 1])
            for (row, index) in batch.indices.enumerated() {
                #expect(batch.features.scalars[2 * row] == Float(2 * index))
                #expect(batch.classLabels?[row] == index % 10)
                #expect(batch.targets.scalars[row] == Float(index % 10))
            }
        }
    }
}

@Test func batchesCanDropTheLastPartialBatchOrKeepFileOrder() {
    let data = Dataset(features: Tensor(shape: [25, 1], scalars: (0..<25).map(Float.init)), targets: Tensor(shape: [25], scalars: Array(repeating: 1, count: 25)))
    let dropped = data.batches(size: 8, shuffleSeed: 1, epoch: 0, dropsLastPartialBatch: true)
    #expect(dropped.count == 3)
    #expect(dropped.allSatisfy { $0.count == 8 })
    let inOrder = data.batches(size: 8)
    #expect(inOrder.count == 4)
    #expect(inOrder[0].indices == Array(0..<8))
    #expect(inOrder[3].indices == [24])
    #expect(inOrder[3].features == Tensor([[24]]))
    #expect(inOrder[1].classLabels == nil)
    // Exactly divisible: no partial batch either way.
    #expect(data.batches(size: 5).count == 5)
    #expect(data.batches(size: 5, dropsLastPartialBatch: true).count == 5)
}
