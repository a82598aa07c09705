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

/// Bitwise equality of two parts: features, targets, labels and names.
private func sameRows(_ a: Dataset, _ b: Dataset) -> Bool {
    a.features.shape == b.features.shape && a.features.scalars.map(\.bitPattern) == b.features.scalars.map(\.bitPattern)
        && a.targets.scalars.map(\.bitPattern) == b.targets.scalars.map(\.bitPattern) && a.classLabels == b.classLabels
        && a.classCount == b.classCount && a.featureNames == b.featureNames
}

/// Splitting in the data's own storage gives the copying split's rows, for every cut, in either
/// order, and leaves a dataset that something else still holds as it was.
@Test(arguments: [0, 1, 17, 39, 40])
func splittingInTheDatasOwnStorageGivesTheSameRows(trainCount: Int) {
    var random = RandomStream(seed: 3)
    let data = Dataset.synthetic(examples: 40, features: 5, classes: 3, seed: 11)
    let reference = data.split(trainCount: trainCount, shuffledWithSeed: 9)
    // `data` is still used below, so the shuffled split must copy before permuting.
    let shared = data.splitReusingStorage(trainCount: trainCount, shuffledWithSeed: 9)
    #expect(sameRows(shared.train, reference.train) && sameRows(shared.test, reference.test))
    #expect(sameRows(data, Dataset.synthetic(examples: 40, features: 5, classes: 3, seed: 11)), "the original rows are untouched")
    // The last reference: permuted in place.
    let owned = Dataset.synthetic(examples: 40, features: 5, classes: 3, seed: 11).splitReusingStorage(trainCount: trainCount, shuffledWithSeed: 9)
    #expect(sameRows(owned.train, reference.train) && sameRows(owned.test, reference.test))

    let fileOrder = data.splitReusingStorage(trainCount: trainCount)
    let copied = data.split(trainCount: trainCount)
    #expect(sameRows(fileOrder.train, copied.train) && sameRows(fileOrder.test, copied.test))

    // A write through a part copies it first: the other part and the data keep their values.
    var train = owned.train.features
    let test = owned.test.features.scalars
    if train.scalarCount > 0 {
        train.withUnsafeMutableBufferPointer { $0[0] = Float(random.nextUniform()) + 100 }
        #expect(owned.train.features.scalars.map(\.bitPattern) == reference.train.features.scalars.map(\.bitPattern))
    }
    #expect(owned.test.features.scalars == test)
}

@Test func aRowsViewSharesItsRowsAndCopiesOnWrite() {
    let base = Tensor(shape: [4, 3], scalars: (0..<12).map(Float.init))
    var middle = base.rowsView(1..<3)
    #expect(middle.shape == [2, 3] && middle.scalars == [3, 4, 5, 6, 7, 8])
    #expect(base.rowsView(0..<4).scalars == base.scalars && base.rowsView(2..<2).shape == [0, 3])
    middle.withUnsafeMutableBufferPointer { $0[0] = -1 }
    #expect(middle.scalars == [-1, 4, 5, 6, 7, 8] && base.scalars == (0..<12).map(Float.init))
}
