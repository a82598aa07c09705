#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Autograd
import Datasets
import Testing

private func writeTemporary(_ bytes: [UInt8], named name: String) throws -> String {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("DatasetsTests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    let url = directory.appendingPathComponent(name)
    try Data(bytes).write(to: url)
    return url.path
}

private func bigEndian(_ value: Int) -> [UInt8] {
    [UInt8(value >> 24 & 0xFF), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)]
}

@Test func loadsIDXImagesAndLabels() throws {
    // Three 2 × 2 images and their labels.
    let pixels: [UInt8] = [0, 255, 51, 102, 1, 2, 3, 4, 255, 255, 0, 0]
    let images = try writeTemporary([0, 0, 8, 3] + bigEndian(3) + bigEndian(2) + bigEndian(2) + pixels, named: "images-idx3-ubyte")
    let labels = try writeTemporary([0, 0, 8, 1] + bigEndian(3) + [7, 0, 3], named: "labels-idx1-ubyte")
    let data = try Dataset.loadIDX(imagesPath: images, labelsPath: labels, classCount: 10)
    #expect(data.features.shape == [3, 4])
    #expect(data.features.scalars == pixels.map { Float($0) * (1.0 / 255) })
    #expect(data.classLabels == [7, 0, 3])
    #expect(data.classCount == 10)
}

@Test func idxErrorsSayWhatWasExpected() throws {
    let labels = try writeTemporary([0, 0, 8, 1] + bigEndian(2) + [1, 2], named: "labels")
    let short = try writeTemporary([0, 0, 8, 3] + bigEndian(3) + bigEndian(2) + bigEndian(2) + [1, 2, 3], named: "short")
    var error = #expect(throws: DatasetError.self) { try Dataset.loadIDX(imagesPath: short, labelsPath: labels) }
    #expect(error?.description == "\(short): expected 28 bytes for dimensions [3, 2, 2], found 19")
    let gzip = try writeTemporary([0x1F, 0x8B, 8, 0, 0, 0], named: "gz")
    error = #expect(throws: DatasetError.self) { try Dataset.loadIDX(imagesPath: gzip, labelsPath: labels) }
    #expect(error?.description == "\(gzip): expected an IDX file starting with two zero bytes; is it still gzip-compressed?")
    let images = try writeTemporary([0, 0, 8, 3] + bigEndian(3) + bigEndian(1) + bigEndian(1) + [1, 2, 3], named: "images")
    error = #expect(throws: DatasetError.self) { try Dataset.loadIDX(imagesPath: images, labelsPath: labels) }
    #expect(error?.description == "\(labels): expected 3 labels to match the 3 images of \(images), found 2")
}
