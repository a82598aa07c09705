import Autograd

extension Dataset {
    /// The number of pixels in a digits image (8 × 8), the features of ``digits(path:)``.
    public static let digitsPixelCount = 64

    /// The handwritten digits (UCI Optical Recognition of Handwritten Digits, the copy
    /// scikit-learn bundles): 1797 images of 8 × 8 pixels valued 0…16, classes 0…9.
    ///
    /// The file has no header; each row is 64 pixels then the label. The project bundles it
    /// as `datasets/digits.csv`. Pixels are left as the integers 0…16; standardise them with
    /// ``standardized()`` or ``DatasetSplit/standardized()``.
    ///
    /// - Returns: features `[1797, 64]` named `pixel0` … `pixel63`, 10 classes.
    /// - Throws: ``DatasetError`` if the file is missing or not 65 numbers per row with a label
    ///   in 0…9.
    public static func digits(path: String) throws -> Dataset {
        let loaded = try loadCSV(path: path, hasHeader: false, labelColumn: .index(digitsPixelCount),
                                 featureColumns: (0..<digitsPixelCount).map(CSVColumn.index), labels: .classIndices, classLimit: 10)
        return Dataset(
            features: loaded.features, classLabels: loaded.classLabels!, classCount: 10,
            featureNames: (0..<digitsPixelCount).map { "pixel\($0)" })
    }
}
