import Reports
import Testing

@Suite("ProtobufWriter encodes as protobuf does")
struct ProtobufWriterTests {
    private func hex(_ bytes: [UInt8]) -> String {
        bytes.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
    }

    /// The examples of the protobuf encoding guide: 150 in field 1, "testing" in field 2.
    @Test func theGuidesExamples() {
        var varint = ProtobufWriter()
        varint.varint(1, 150)
        #expect(hex(varint.bytes) == "089601")
        var text = ProtobufWriter()
        text.string(2, "testing")
        #expect(hex(text.bytes) == "120774657374696e67")
    }

    @Test func negativeIntegersTakeTenBytes() {
        var writer = ProtobufWriter()
        writer.varint(2, -1)
        #expect(hex(writer.bytes) == "10ffffffffffffffffff01")
    }

    @Test func doublesAndFloatsAreLittleEndian() {
        var writer = ProtobufWriter()
        writer.double(1, 2)
        writer.float(2, 0.3125)
        #expect(hex(writer.bytes) == "090000000000000040" + "150000a03e")
    }

    @Test func anEmbeddedMessageIsItsLengthThenItsBytes() {
        var inner = ProtobufWriter()
        inner.varint(1, 1)
        var outer = ProtobufWriter()
        outer.message(3, inner)
        #expect(hex(outer.bytes) == "1a020801")
    }
}
