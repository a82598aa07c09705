import Autograd
import Datasets
import Testing

@Test func digitsHaveTheExpectedShapeAndClasses() throws {
    let digits = try Dataset.digits(path: BundledData.digits)
    #expect(digits.features.shape == [1797, 64])
    #expect(digits.targets.shape == [1797, 1])
    #expect(digits.classCount == 10)
    // Class counts of scikit-learn's load_digits().
    #expect(digits.classCounts == [178, 182, 177, 183, 181, 182, 181, 179, 174, 180])
    #expect(digits.features.scalars.allSatisfy { $0 >= 0 && $0 <= 16 && $0 == $0.rounded() })
    // The first row of the file.
    #expect(Array(digits.features.scalars[0..<8]) == [0, 0, 5, 13, 9, 1, 0, 0])
    #expect(digits.classLabels?.prefix(3) == [0, 1, 2])
    #expect(digits.featureNames.first == "pixel0" && digits.featureNames.last == "pixel63")
}

@Test func keepingZerosAndOnesGivesTheLectureRows() throws {
    let binary = try Dataset.digits(path: BundledData.digits).keepingClasses([0, 1])
    #expect(binary.count == 360)
    #expect(binary.classCounts == [178, 182])
    #expect(binary.classCount == 2)
    #expect(binary.targets.scalars.filter { $0 == 0 }.count == 178)
    #expect(binary.targets.scalars.filter { $0 == 1 }.count == 182)
    #expect(binary.classLabels?.prefix(2) == [0, 1])
}

@Test func keepingClassesRelabelsByPosition() throws {
    let pair = try Dataset.digits(path: BundledData.digits).keepingClasses([8, 3])
    #expect(pair.count == 174 + 183)
    #expect(pair.classCounts == [174, 183])  // 8s become 0, 3s become 1
}

@Test func seedDigitsSplitMatchesTheReferenceScript() throws {
    let split = try Dataset.seedDigitsSplit(path: BundledData.digits)
    #expect(split.train.features.shape == [324, 64])
    #expect(split.test.features.shape == [36, 64])
    #expect(split.train.targets.shape == [324, 1])
    // NumPy: X = digits[y <= 1]; (X - X.mean(0)) / X.std(0) with zero std replaced by 1.
    let first = Array(split.train.features.scalars[0..<6])
    let expected: [Float] = [0, -0.1005037815259217, 0.5090163933612113, 0.3829114096466981, -0.45192578412701423, -0.7167519893787866]
    for (a, b) in zip(first, expected) { #expect(abs(a - b) <= 1e-6) }
    let last = Array(split.test.features.scalars[(36 * 64 - 4)...])
    let expectedLast: [Float] = [0.27907926169339253, -0.1885157652589298, -0.4077672035341668, -0.256629355571812]
    for (a, b) in zip(last, expectedLast) { #expect(abs(a - b) <= 1e-6) }
}
