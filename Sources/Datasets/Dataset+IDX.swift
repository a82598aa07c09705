import Autograd

extension Dataset {
    /// Loads images and labels in the IDX format of MNIST and Fashion-MNIST (uncompressed: run
    /// `gunzip` on the `.gz` files first).
    ///
    /// An IDX file is two zero bytes, a type byte (`0x08`: unsigned bytes, the only type read
    /// here), the number of dimensions, each dimension as a big-endian 32-bit integer, then the
    /// values. Images `[n, rows, columns]` become features `[n, rows · columns]`, multiplied by
    /// `scale`; labels `[n]` become classes.
    ///
    /// ```swift
    /// let mnist = try Dataset.loadIDX(imagesPath: "train-images-idx3-ubyte",
    ///                                 labelsPath: "train-labels-idx1-ubyte")   // [60000, 784]
    /// ```
    ///
    /// - Parameters:
    ///   - imagesPath: the IDX file of images (unsigned bytes, rank 2 or more).
    ///   - labelsPath: the IDX file of labels (unsigned bytes, rank 1).
    ///   - scale: the factor applied to each pixel; the default 1/255 maps bytes onto [0, 1],
    ///     the usual input range for MNIST models.
    ///   - classCount: the number of classes; `nil` takes one more than the largest label.
    /// - Throws: ``DatasetError`` for a missing file, a wrong header, a file shorter than its
    ///   header promises, or image and label counts that differ.
    public static func loadIDX(
        imagesPath: String, labelsPath: String, scale: Float = 1.0 / 255, classCount: Int? = nil
    ) throws -> Dataset {
        let images = try IDXFile(path: imagesPath)
        let labels = try IDXFile(path: labelsPath)
        guard images.dimensions.count >= 2 else {
            throw DatasetError(file: imagesPath, reason: .malformed("expected images of rank 2 or more, found dimensions \(images.dimensions)"))
        }
        guard labels.dimensions.count == 1 else {
            throw DatasetError(file: labelsPath, reason: .malformed("expected labels of rank 1, found dimensions \(labels.dimensions)"))
        }
        let n = images.dimensions[0]
        guard labels.dimensions[0] == n else {
            throw DatasetError(
                file: labelsPath,
                reason: .malformed("expected \(n) labels to match the \(n) images of \(imagesPath), found \(labels.dimensions[0])"))
        }
        let width = images.dimensions.dropFirst().reduce(1, *)
        let features = images.bytes.withUnsafeBufferPointer { bytes in
            Tensor(shape: [n, width]) { buffer in
                for index in 0..<(n * width) { buffer[index] = Float(bytes[images.dataOffset + index]) * scale }
            }
        }
        let classLabels = (0..<n).map { Int(labels.bytes[labels.dataOffset + $0]) }
        if let classCount, let bad = classLabels.firstIndex(where: { $0 >= classCount }) {
            throw DatasetError(
                file: labelsPath,
                reason: .malformed("the label at index \(bad) is \(classLabels[bad]), expected a class below \(classCount)"))
        }
        return Dataset(features: features, classLabels: classLabels, classCount: classCount)
    }
}

/// The header of an IDX file of unsigned bytes, read and checked against the file's length.
private struct IDXFile {
    let bytes: [UInt8]
    let dimensions: [Int]
    let dataOffset: Int

    init(path: String) throws {
        bytes = try Dataset.readFile(path: path)
        func malformed(_ text: String) -> DatasetError { DatasetError(file: path, reason: .malformed(text)) }
        guard bytes.count >= 4 else {
            throw malformed("expected an IDX header of at least 4 bytes, found \(bytes.count) bytes")
        }
        guard bytes[0] == 0 && bytes[1] == 0 else {
            throw malformed("expected an IDX file starting with two zero bytes; is it still gzip-compressed?")
        }
        guard bytes[2] == 0x08 else {
            throw malformed("expected IDX type 0x08 (unsigned bytes), found 0x\(String(bytes[2], radix: 16))")
        }
        let rank = Int(bytes[3])
        dataOffset = 4 + 4 * rank
        guard bytes.count >= dataOffset else {
            throw malformed("expected \(rank) dimensions in a \(dataOffset)-byte header, found \(bytes.count) bytes")
        }
        var dimensions: [Int] = []
        for d in 0..<rank {
            let start = 4 + 4 * d
            dimensions.append(bytes[start..<(start + 4)].reduce(0) { $0 << 8 | Int($1) })
        }
        self.dimensions = dimensions
        // Dimensions are 32-bit each: their product can overflow, so it is checked against the
        // file's size as it grows.
        var count = 1
        for dimension in dimensions {
            let (product, overflow) = count.multipliedReportingOverflow(by: dimension)
            guard !overflow, product <= bytes.count else {
                throw malformed("dimensions \(dimensions) describe more bytes than the file's \(bytes.count)")
            }
            count = product
        }
        let expected = dataOffset + count
        guard bytes.count == expected else {
            throw malformed("expected \(expected) bytes for dimensions \(dimensions), found \(bytes.count)")
        }
    }
}
