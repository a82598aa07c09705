import Autograd
import Datasets
import Testing

private func columnStatistics(_ x: Tensor) -> (mean: [Double], std: [Double]) {
    let (n, d) = (x.shape[0], x.shape[1])
    let values = x.scalars
    var mean = [Double](repeating: 0, count: d)
    var std = [Double](repeating: 0, count: d)
    for row in 0..<n { for c in 0..<d { mean[c] += Double(values[row * d + c]) / Double(n) } }
    for row in 0..<n { for c in 0..<d { std[c] += pow2(Double(values[row * d + c]) - mean[c]) / Double(n) } }
    return (mean, std.map { $0.squareRoot() })
}

private func pow2(_ x: Double) -> Double { x * x }

@Test func fitsMeanAndPopulationStandardDeviation() {
    let x = Tensor([[1, 10, 5], [2, 20, 5], [3, 30, 5], [6, 60, 5]])
    let scaler = Standardizer.fit(x)
    #expect(scaler.mean == [3, 30, 5])
    // Population variance of [1, 2, 3, 6] is (4 + 1 + 0 + 9) / 4 = 3.5 (the sample one would be 14/3).
    #expect(abs(scaler.scale[0] - 3.5.squareRoot()) < 1e-12)
    #expect(abs(scaler.scale[1] - 10 * 3.5.squareRoot()) < 1e-12)
    #expect(scaler.scale[2] == 1)  // zero variance: scale 1, so the column becomes 0
    let z = scaler.transform(x)
    #expect(z.scalars[2] == 0 && z.scalars[5] == 0 && z.scalars[8] == 0 && z.scalars[11] == 0)
    #expect(abs(z.scalars[0] - Float(-2 / 3.5.squareRoot())) < 1e-6)
}

@Test func standardisedDigitsHaveZeroMeanAndUnitStd() throws {
    let binary = try Dataset.digits(path: BundledData.digits).keepingClasses([0, 1]).standardized()
    let (mean, std) = columnStatistics(binary.features)
    let constantColumns = [0, 7, 8, 15, 23, 31, 32, 39, 40, 47, 48, 56]  // zero variance among the 0s and 1s
    for column in 0..<64 {
        #expect(abs(mean[column]) < 1e-5, "column \(column) mean \(mean[column])")
        if constantColumns.contains(column) {
            #expect(std[column] == 0, "column \(column) std \(std[column])")
        } else {
            #expect(abs(std[column] - 1) < 1e-5, "column \(column) std \(std[column])")
        }
    }
}

@Test func trainStatisticsAreAppliedToTheTestSplit() throws {
    let binary = try Dataset.digits(path: BundledData.digits).keepingClasses([0, 1])
    let raw = binary.split(trainFraction: 0.9)
    let (split, scaler) = raw.standardized()
    #expect(scaler == Standardizer.fit(raw.train.features))
    #expect(scaler != Standardizer.fit(binary.features))
    let trainStatistics = columnStatistics(split.train.features)
    for column in 0..<64 { #expect(abs(trainStatistics.mean[column]) < 1e-5) }
    // The test rows use the training mean and scale, not their own.
    let rawTest = raw.test.features.scalars
    let test = split.test.features.scalars
    for index in [0, 100, 777, 36 * 64 - 1] {
        let column = index % 64
        let expected = (Double(rawTest[index]) - scaler.mean[column]) / scaler.scale[column]
        #expect(abs(Double(test[index]) - expected) < 1e-5)
    }
    // So the test split's own means are not zero.
    #expect(columnStatistics(split.test.features).mean.contains { abs($0) > 1e-3 })
}

@Test func inverseTransformUndoesTransform() {
    let x = Tensor([[1, -4], [2, 0.5], [7, 3]])
    let scaler = Standardizer.fit(x)
    let back = scaler.inverseTransform(scaler.transform(x))
    for (a, b) in zip(back.scalars, x.scalars) { #expect(abs(a - b) < 1e-5) }
}
