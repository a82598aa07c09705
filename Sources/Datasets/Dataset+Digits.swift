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
    /// - Throws: ``DatasetError`` if the file is missing or not 65 numbers per row with an
    ///   integer label.
    public static func digits(path: String) throws -> Dataset {
        let loaded = try loadCSV(path: path, hasHeader: false, labelColumn: .index(digitsPixelCount),
                                 featureColumns: (0..<digitsPixelCount).map(CSVColumn.index), labels: .classes)
        return Dataset(
            features: loaded.features, classLabels: loaded.classLabels!, classCount: 10,
            featureNames: (0..<digitsPixelCount).map { "pixel\($0)" })
    }

    /// The lecture's logistic-regression data: the digits 0 and 1 (360 rows, labels 0/1),
    /// standardised with statistics of **all** 360 rows as the lecture's scikit-learn code did,
    /// then split in file order into 324 training and 36 test rows.
    public static func lectureDigitsSplit(path: String) throws -> DatasetSplit {
        try digits(path: path).keepingClasses([0, 1]).standardized().split(trainFraction: 0.9)
    }

    /// The lecture's linear-regression data (`datasets/seed_linear_data.csv`, header `x,y`):
    /// 100 rows, feature `x` `[100, 1]`, target `y` `[100, 1]`.
    public static func lectureLinear(path: String) throws -> Dataset {
        try loadCSV(path: path, hasHeader: true, labelColumn: "y", featureColumns: ["x"])
    }
}
