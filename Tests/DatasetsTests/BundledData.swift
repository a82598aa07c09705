import Datasets

/// Paths of the data files the project bundles in `datasets/`, found from this source file's
/// location so the tests run from any working directory.
enum BundledData {
    /// `<repository root>/datasets`, three levels above `Tests/DatasetsTests/BundledData.swift`.
    static let directory: String = {
        var components = "\(#filePath)".split(separator: "/", omittingEmptySubsequences: false)
        components.removeLast(3)
        return components.joined(separator: "/") + "/datasets"
    }()

    static var digits: String { directory + "/digits.csv" }
    static var linear: String { directory + "/seed_linear_data.csv" }
}

extension Dataset {
    /// The seed example's logistic-regression data: the digits 0 and 1 (360 rows, labels 0/1),
    /// standardised with statistics of **all** 360 rows as its scikit-learn code did, then split
    /// in file order into 324 training and 36 test rows.
    static func seedDigitsSplit(path: String) throws -> DatasetSplit {
        try digits(path: path).keepingClasses([0, 1]).standardized().split(trainFraction: 0.9)
    }

    /// The seed example's linear-regression data (`datasets/seed_linear_data.csv`, header
    /// `x,y`): 100 rows, feature `x` `[100, 1]`, target `y` `[100, 1]`.
    static func seedLinear(path: String) throws -> Dataset {
        try loadCSV(path: path, hasHeader: true, labelColumn: "y", featureColumns: ["x"])
    }
}
