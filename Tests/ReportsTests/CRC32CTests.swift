import Reports
import Testing

@Suite("CRC-32C, as TFRecord checks its records")
struct CRC32CTests {
    /// The standard check value and the iSCSI vectors of RFC 3720 (section B.4).
    @Test(arguments: [
        (Array("123456789".utf8), UInt32(0xE306_9283)),
        ([UInt8](repeating: 0, count: 32), UInt32(0x8A91_36AA)),
        ([UInt8](repeating: 0xFF, count: 32), UInt32(0x62A8_AB43)),
        ((0..<32).map { UInt8($0) }, UInt32(0x46DD_794E)),
        ([UInt8](), UInt32(0)),
    ] as [([UInt8], UInt32)])
    func knownVectors(bytes: [UInt8], expected: UInt32) {
        #expect(CRC32C.checksum(bytes) == expected)
    }

    @Test func updatingInPiecesEqualsOneChecksum() {
        let bytes = Array("The quick brown fox jumps over the lazy dog".utf8)
        for cut in [0, 1, 7, bytes.count] {
            var crc = CRC32C()
            crc.update(bytes[..<cut])
            crc.update(bytes[cut...])
            #expect(crc.value == CRC32C.checksum(bytes), "cut at \(cut)")
        }
    }

    /// TFRecord's mask: rotate right by 15, add 0xA282EAD8 (Python's value for "123456789").
    @Test func theMaskRotatesAndAdds() {
        #expect(CRC32C.masked(0xE306_9283) == 0xC78A_B0E5)
        #expect(CRC32C.masked(0) == 0xA282_EAD8)
    }
}
