import Autograd
import Datasets
import Testing

private func numbered(_ n: Int) -> Dataset {
    Dataset(features: Tensor(shape: [n, 1], scalars: (0..<n).map(Float.init)), classLabels: (0..<n).map { $0 % 3 }, classCount: 3)
}

@Test func fileOrderSplitTruncatesLikePython() {
    let split = numbered(360).split(trainFraction: 0.9)
    #expect(split.train.count == 324)
    #expect(split.test.count == 36)
    #expect(split.train.features.scalars == (0..<324).map(Float.init))
    #expect(split.test.features.scalars == (324..<360).map(Float.init))
    #expect(split.test.classLabels == (324..<360).map { $0 % 3 })
    #expect(split.test.classCount == 3)
    // int(0.7 * 10) == 7 and int(0.9 * 7) == 6 in Python.
    #expect(numbered(10).split(trainFraction: 0.7).train.count == 7)
    #expect(numbered(7).split(trainFraction: 0.9).train.count == 6)
}

@Test func shuffledSplitIsAReproduciblePartition() {
    let data = numbered(50)
    let a = data.split(trainFraction: 0.8, shuffledWithSeed: 7)
    let b = data.split(trainFraction: 0.8, shuffledWithSeed: 7)
    let c = data.split(trainFraction: 0.8, shuffledWithSeed: 8)
    #expect(a.train.count == 40 && a.test.count == 10)
    #expect(a.train.features == b.train.features)
    #expect(a.train.features != c.train.features)
    let all = (a.train.features.scalars + a.test.features.scalars).sorted()
    #expect(all == (0..<50).map(Float.init))
    #expect(a.train.features.scalars != (0..<40).map(Float.init))
    // Labels travel with their rows.
    for (value, label) in zip(a.train.features.scalars, a.train.classLabels!) { #expect(Int(value) % 3 == label) }
}
