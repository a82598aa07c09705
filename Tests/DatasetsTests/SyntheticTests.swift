import Autograd
@testable import Datasets
import Testing

@Test func syntheticDataIsReproducible() {
    let a = Dataset.synthetic(examples: 200, features: 16, classes: 4, seed: 5)
    let b = Dataset.synthetic(examples: 200, features: 16, classes: 4, seed: 5)
    let c = Dataset.synthetic(examples: 200, features: 16, classes: 4, seed: 6)
    #expect(a.features == b.features)
    #expect(a.classLabels == b.classLabels)
    #expect(a.features != c.features)
    #expect(a.classLabels != c.classLabels)
    #expect(a.features.shape == [200, 16])
    #expect(a.classCount == 4)
}

@Test func syntheticFeaturesAreStandardNormal() {
    let data = Dataset.synthetic(examples: 2000, features: 10, classes: 3, seed: 1)
    let values = data.features.scalars.map(Double.init)
    let mean = values.reduce(0, +) / Double(values.count)
    let variance = values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(values.count)
    #expect(abs(mean) < 0.05)
    #expect(abs(variance - 1) < 0.05)
}

@Test func teacherLabelsAreLinearlySeparableAndUseEveryClass() {
    let data = Dataset.synthetic(examples: 1000, features: 8, classes: 5, seed: 2)
    let counts = data.classCounts!
    #expect(counts.allSatisfy { $0 > 50 })
    // The same features labelled uniformly: the features do not depend on the labelling.
    let uniform = Dataset.synthetic(examples: 1000, features: 8, classes: 5, seed: 2, labels: .uniform)
    #expect(uniform.features == data.features)
    #expect(uniform.classCounts!.allSatisfy { $0 > 150 && $0 < 250 })
    // Teacher labels agree with a linear rule: a nearest-class-mean classifier (a linear rule)
    // fitted on them beats chance (20 %) by far, while on uniform labels it cannot.
    func nearestMeanAccuracy(_ d: Dataset) -> Double {
        let x = d.features.scalars, labels = d.classLabels!
        var means = [[Double]](repeating: [Double](repeating: 0, count: 8), count: 5)
        for (row, label) in labels.enumerated() { for j in 0..<8 { means[label][j] += Double(x[row * 8 + j]) } }
        var correct = 0
        for (row, label) in labels.enumerated() {
            let scores = means.map { m in (0..<8).map { m[$0] * Double(x[row * 8 + $0]) }.reduce(0, +) }
            if scores.indices.max(by: { scores[$0] < scores[$1] }) == label { correct += 1 }
        }
        return Double(correct) / Double(labels.count)
    }
    #expect(nearestMeanAccuracy(data) > 0.6)
    #expect(nearestMeanAccuracy(uniform) < 0.4)
}

/// The teacher's labels in tiles and parts are those of the plain sum: each score added up in
/// `Double` feature by feature, the first of equal scores winning; for any part size (so any
/// number of threads), a class count with and without an unpaired last class, and more rows
/// than one tile.
@Test(arguments: [(1, 2), (3, 3), (32, 10), (100, 7), (1000, 10)])
func teacherLabelsInPartsAreThoseOfThePlainSum(rowsPerPart: Int, classes: Int) {
    let (examples, features) = (203, 37)
    var random = RandomStream(seed: 8, stream: 1)
    let x = Tensor.randomNormal(shape: [examples, features], using: &random)
    var teacher = Tensor.randomNormal(shape: [features, classes], using: &random)
    // Two equal teacher columns tie exactly: the lower class must win.
    teacher = Tensor(shape: [features, classes], scalars: (0..<features * classes).map { index in
        let (j, c) = (index / classes, index % classes)
        return teacher.scalars[j * classes + (c == classes - 1 ? 0 : c)]
    })
    let (xs, ws) = (x.scalars, teacher.scalars)
    let expected = (0..<examples).map { row in
        var scores = [Double](repeating: 0, count: classes)
        for j in 0..<features {
            for c in 0..<classes { scores[c] += Double(xs[row * features + j]) * Double(ws[j * classes + c]) }
        }
        var best = 0
        for c in 1..<classes where scores[c] > scores[best] { best = c }
        return best
    }
    var labels = [Int](repeating: -1, count: examples)
    Dataset.teacherLabels(of: x, teacher: teacher, into: &labels, rowsPerPart: rowsPerPart)
    #expect(labels == expected)
    #expect(!labels.contains(classes - 1), "the copy of class 0 never wins its tie")
}
