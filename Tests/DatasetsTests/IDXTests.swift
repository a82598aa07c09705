import _TestSupport
import Autograd
import Datasets
import Testing

private func bigEndian(_ value: Int) -> [UInt8] {
    [UInt8(value >> 24 & 0xFF), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)]
}

@Test func loadsIDXImagesAndLabels() throws {
    let scratch = try TemporaryDirectory(prefix: "DatasetsTests")
    defer { scratch.remove() }
    // Three 2 × 2 images and their labels.
    let pixels: [UInt8] = [0, 255, 51, 102, 1, 2, 3, 4, 255, 255, 0, 0]
    let images = try scratch.write("images-idx3-ubyte", bytes: [0, 0, 8, 3] + bigEndian(3) + bigEndian(2) + bigEndian(2) + pixels)
    let labels = try scratch.write("labels-idx1-ubyte", bytes: [0, 0, 8, 1] + bigEndian(3) + [7, 0, 3])
    let data = try Dataset.loadIDX(imagesPath: images, labelsPath: labels, classCount: 10)
    #expect(data.features.shape == [3, 4])
    #expect(data.features.scalars == pixels.map { Float($0) * (1.0 / 255) })
    #expect(data.classLabels == [7, 0, 3])
    #expect(data.classCount == 10)
}

@Test func idxErrorsSayWhatWasExpected() throws {
    let scratch = try TemporaryDirectory(prefix: "DatasetsTests")
    defer { scratch.remove() }
    let labels = try scratch.write("labels", bytes: [0, 0, 8, 1] + bigEndian(2) + [1, 2])
    let short = try scratch.write("short", bytes: [0, 0, 8, 3] + bigEndian(3) + bigEndian(2) + bigEndian(2) + [1, 2, 3])
    var error = #expect(throws: DatasetError.self) { try Dataset.loadIDX(imagesPath: short, labelsPath: labels) }
    #expect(error?.description == "\(short): expected 28 bytes for dimensions [3, 2, 2], found 19")
    let gzip = try scratch.write("gz", bytes: [0x1F, 0x8B, 8, 0, 0, 0])
    error = #expect(throws: DatasetError.self) { try Dataset.loadIDX(imagesPath: gzip, labelsPath: labels) }
    #expect(error?.description == "\(gzip): expected an IDX file starting with two zero bytes; is it still gzip-compressed?")
    let images = try scratch.write("images", bytes: [0, 0, 8, 3] + bigEndian(3) + bigEndian(1) + bigEndian(1) + [1, 2, 3])
    error = #expect(throws: DatasetError.self) { try Dataset.loadIDX(imagesPath: images, labelsPath: labels) }
    #expect(error?.description == "\(labels): expected 3 labels to match the 3 images of \(images), found 2")
}

@Test func dimensionsWhoseProductOverflowsAreAnErrorNotATrap() throws {
    let scratch = try TemporaryDirectory(prefix: "DatasetsTests")
    defer { scratch.remove() }
    // 0x01100002 × 0x00FF0709 × 0x01020002 overflows Int; the file holds 8 bytes of pixels.
    let images = try scratch.write(
        "huge", bytes: [0, 0, 8, 3] + bigEndian(0x0110_0002) + bigEndian(0x00FF_0709) + bigEndian(0x0102_0002) + [1, 2, 3, 4, 5, 6, 7, 8])
    let labels = try scratch.write("labels", bytes: [0, 0, 8, 1] + bigEndian(2) + [1, 2])
    let error = #expect(throws: DatasetError.self) { try Dataset.loadIDX(imagesPath: images, labelsPath: labels) }
    #expect(error?.description.contains("describe more bytes than the file's 24") == true, "\(String(describing: error))")
}
