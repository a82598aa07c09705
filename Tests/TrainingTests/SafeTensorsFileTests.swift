import Autograd
import Foundation
import Testing
import _TestSupport
import Training

/// A safetensors file's bytes: the 8-byte little-endian `length`, then `header` and `dataBytes`
/// zero bytes.
private func fileBytes(claiming length: UInt64, header: String, dataBytes: Int = 0) -> [UInt8] {
    var bytes: [UInt8] = []
    withUnsafeBytes(of: length.littleEndian) { bytes.append(contentsOf: $0) }
    return bytes + Array(header.utf8) + [UInt8](repeating: 0, count: dataBytes)
}

/// Reading safetensors files from disk: each tensor straight into its storage, every count the
/// file gives checked without arithmetic that can overflow, and a file larger than the memory it
/// may take refused before it is read.
@Suite struct SafeTensorsFileTests {
    /// A header length with its top bit set (a damaged or random file) is a length past any
    /// header: each reader refuses it with an error. Adding the 8 bytes of the length to one
    /// of 2⁶³ − 8 or more overflowed, a trap that no `try?` catches.
    @Test(arguments: [UInt64.max, 1 << 63, UInt64(Int.max), UInt64(Int.max) - 7, UInt64(SafeTensors.maximumHeaderBytes) + 1])
    func aHeaderLengthPastIntMaxIsAnErrorNotATrap(length: UInt64) throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let bytes = fileBytes(claiming: length, header: #"{"__metadata__":{}}     "#, dataBytes: 64)
        let path = try directory.write("model.safetensors", bytes: bytes)
        let expected = "\(path): the header claims \(length) bytes, more than the \(SafeTensors.maximumHeaderBytes) a safetensors header may have"
        let limit = 1 << 30
        let memory = (bytes: 1 << 30, description: "a test's 1 GiB")
        let errors = [
            try #require(throws: CheckpointError.self) { try SafeTensors.metadata(ofFileAt: path, limit: limit) },
            try #require(throws: CheckpointError.self) { try SafeTensors.metadata(ofFileAt: path, limit: limit, memory: memory) },
            try #require(throws: CheckpointError.self) { try SafeTensors(contentsOfFile: path, limit: limit, memory: memory) },
            try #require(throws: CheckpointError.self) { try Checkpoint.read(from: path) },
            try #require(throws: CheckpointError.self) { try SafeTensors(decoding: Checkpoint.readBytes(from: path, memory: memory), file: path) },
        ]
        for error in errors { #expect(error.description == expected) }
    }

    /// Offsets and shapes at the edge of `Int` in a file on disk: each is refused by a check
    /// that bounds the count by the file's data before it multiplies or adds.
    @Test(arguments: [
        (#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,9223372036854775807]}}"#, "data offsets outside the 4 data bytes"),
        (#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[9223372036854775807,9223372036854775807]}}"#, "data offsets outside"),
        (#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[-9223372036854775808,4]}}"#, "expected two non-negative integers [begin, end]"),
        (#"{"a":{"dtype":"F32","shape":[9223372036854775807],"data_offsets":[0,4]}}"#, "needs more bytes than the file holds"),
        (#"{"a":{"dtype":"F32","shape":[3037000500,3037000500],"data_offsets":[0,4]}}"#, "needs more bytes than the file holds"),
        (#"{"a":{"dtype":"F32","shape":[0,9223372036854775807,2],"data_offsets":[0,0]},"b":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#, ""),
        (#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,18446744073709551616]}}"#, "expected two non-negative integers [begin, end]"),
    ])
    func offsetsAndShapesAtTheEdgeOfIntAreRefused(header: String, expected: String) throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = try directory.write("h.safetensors", bytes: fileBytes(claiming: UInt64(header.utf8.count), header: header, dataBytes: 4))
        guard !expected.isEmpty else {
            // An empty tensor whose other dimensions are huge holds nothing, and reads as such.
            let file = try SafeTensors(contentsOfFile: path, limit: 1 << 20)
            #expect(file["a"]?.shape == [0, Int.max, 2] && file["a"]?.scalarCount == 0)
            #expect(file == (try SafeTensors(decoding: Checkpoint.readBytes(from: path), file: path)))
            return
        }
        let fromFile = try #require(throws: CheckpointError.self) { try SafeTensors(contentsOfFile: path, limit: 1 << 20) }
        #expect(fromFile.message.contains(expected), "\(fromFile)")
        let fromBytes = try #require(throws: CheckpointError.self) { try SafeTensors(decoding: Checkpoint.readBytes(from: path), file: path) }
        #expect(fromBytes == fromFile)
    }

    /// A file read from disk, tensor by tensor, is the same value as its bytes decoded whole,
    /// and the same checkpoint; its bytes as part of a larger array decode alike.
    @Test func aFileReadFromDiskIsItsBytesDecoded() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        var random = RandomStream(seed: 5)
        var state = TrainingState(
            parameterNames: ["dense0/weight", "dense0/bias"],
            parameters: [Tensor.randomNormal(shape: [7, 3], using: &random), Tensor([0.5, -.leastNonzeroMagnitude, 3])], seed: 2)
        state.optimizerState["0/dense0/weight/momentum"] = Tensor(repeating: 0.25, shape: [7, 3])
        let checkpoint = Checkpoint(state: state, extraTensors: ["empty": Tensor(shape: [0, 4], scalars: [])], metadata: ["note": "é"])
        let path = directory.path + "/c.safetensors"
        try checkpoint.write(to: path)
        let bytes = try Checkpoint.readBytes(from: path)
        let fromFile = try SafeTensors(contentsOfFile: path, limit: bytes.count)
        #expect(fromFile == (try SafeTensors(decoding: bytes, file: path)))
        #expect(fromFile == checkpoint.safeTensors)
        #expect(try Checkpoint.read(from: path) == checkpoint)
        let message = [7, 7, 0] + bytes
        #expect(try SafeTensors(decoding: message[3...], file: path) == fromFile)
        // Cut anywhere, the file is an error naming it, as its bytes are.
        for length in stride(from: 0, to: bytes.count, by: 13) {
            let cut = try directory.write("cut.safetensors", bytes: bytes[..<length])
            let error = try #require(throws: CheckpointError.self) { try Checkpoint.read(from: cut) }
            #expect(error.file == cut)
        }
    }

    /// A file needing more memory than it may take is refused from its size and its header's
    /// length alone: a sparse gigabyte is refused without being read, and a header too large to
    /// parse within the limit is refused before it is parsed (its JSON is not even valid).
    @Test func aFileLargerThanItsMemoryIsRefusedBeforeItIsRead() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.path + "/big.safetensors"
        let (headerBytes, size) = try writeSparseSafeTensors(path, tensorBytes: 1 << 30)
        let memory = (bytes: 256 << 20, description: "the 256.0 MiB of a test's limit")
        let expected = "\(path): the file is 1.0 GiB (a header of \(headerBytes) bytes and 1.0 GiB of tensors), and reading it would need about 1.0 GiB of memory, more than the 256.0 MiB of a test's limit; expected a file that fits, or read it with more memory"
        let read = try #require(throws: CheckpointError.self) { try Checkpoint.read(from: path, memory: memory) }
        #expect(read.description == expected)
        let model = try #require(throws: CheckpointError.self) { try SavedModel.read(from: path, memory: memory) }
        #expect(model == read)
        // The header alone fits: its metadata are read.
        #expect(try SafeTensors.metadata(ofFileAt: path, limit: Checkpoint.maximumFileBytes, memory: memory) == [:])
        // Bytes read whole and sent on count each copy: two of 1 GiB.
        let copies = try #require(throws: CheckpointError.self) {
            try Checkpoint.readBytes(from: path, memory: (bytes: 2 << 30, description: "a test's 2 GiB"), copies: 1)
        }
        #expect(copies.message.contains("would need about 2.0 GiB of memory, more than a test's 2 GiB"), "\(copies)")
        #expect(SafeTensors.memoryNeeded(headerBytes: headerBytes, dataBytes: 1 << 30, copiesOfTheFile: 1) == (1 << 30) + size + headerBytes * SafeTensors.headerMemoryFactor)

        let garbage = String(repeating: "x", count: 1 << 20)
        let header = try directory.write("header.safetensors", bytes: fileBytes(claiming: UInt64(garbage.utf8.count), header: garbage))
        let small = (bytes: 16 << 20, description: "a test's 16 MiB")
        for error in [
            try #require(throws: CheckpointError.self) { try SafeTensors.metadata(ofFileAt: header, limit: 1 << 30, memory: small) },
            try #require(throws: CheckpointError.self) { try SafeTensors(contentsOfFile: header, limit: 1 << 30, memory: small) },
        ] {
            #expect(error.message.contains("(a header of 1.0 MiB and 0 bytes of tensors), and reading it would need about 48.0 MiB of memory"), "\(error)")
        }
        let unparsed = try #require(throws: CheckpointError.self) { try SafeTensors(contentsOfFile: header, limit: 1 << 30) }
        #expect(unparsed.message.hasPrefix("the header is not valid JSON"), "\(unparsed)")
    }

    @Test func theMemoryNeededSaturatesInsteadOfOverflowing() {
        #expect(SafeTensors.memoryNeeded(headerBytes: Int.max, dataBytes: 0) == Int.max)
        #expect(SafeTensors.memoryNeeded(headerBytes: 0, dataBytes: Int.max, copiesOfTheFile: 3) == Int.max)
        #expect(SafeTensors.memoryNeeded(headerBytes: 100, dataBytes: Int.max - 10) == Int.max)
        #expect(SafeTensors.memoryNeeded(headerBytes: 8, dataBytes: 16) == 8 * SafeTensors.headerMemoryFactor + 16)
    }
}
