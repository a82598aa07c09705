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
