import Autograd
import ConfigKit
import Datasets
import JSON
import Storage

/// A file in the safetensors format: Float32 tensors by name, and string metadata.
///
/// The layout is the one Hugging Face's `safetensors` reads: an 8-byte little-endian header
/// length, a JSON header (`{"__metadata__": {…}, "name": {"dtype": "F32", "shape": […],
/// "data_offsets": [begin, end]}, …}`, padded with spaces to a multiple of 8 bytes), then the
/// tensors' little-endian bytes, one after another in header order.
///
/// Decoding checks everything a truncated or hostile file could get wrong (lengths, offsets,
/// shapes, overlaps, sizes that overflow) and throws ``CheckpointError`` naming the file;
/// it never traps.
public struct SafeTensors: Sendable, Equatable {
    /// One named tensor.
    public struct Entry: Sendable, Equatable {
        /// The tensor's name in the file.
        public var name: String
        /// The tensor.
        public var tensor: Tensor

        /// `tensor` under `name`.
        public init(name: String, tensor: Tensor) {
            self.name = name
            self.tensor = tensor
        }
    }

    /// The tensors, in file order.
    public var entries: [Entry]
    /// The `__metadata__` strings.
    public var metadata: [String: String]

    /// A file of `entries`, in that order, and `metadata`.
    public init(entries: [Entry] = [], metadata: [String: String] = [:]) {
        self.entries = entries
        self.metadata = metadata
    }

    /// The tensor named `name`, if any.
    public subscript(name: String) -> Tensor? {
        entries.first { $0.name == name }?.tensor
    }

    /// The metadata of the safetensors file at `path`, from its header alone: what a caller
    /// needs to know of a large file without reading (or checking) its tensors.
    ///
    /// - Throws: ``CheckpointError`` when the file is missing, not a regular file, larger than
    ///   `limit`, or its header is not a well-formed safetensors header.
    public static func metadata(ofFileAt path: String, limit: Int) throws -> [String: String] {
        struct HeaderRead: Error {}
        var bytes: [UInt8] = []
        var needed = Int.max
        do {
            try InputFile.readChunks(path, limit: limit, what: "checkpoint", chunkSize: 1 << 16) { chunk in
                bytes.append(contentsOf: chunk)
                if needed == .max, bytes.count >= 8 { needed = 8 + Int(clamping: headerLength(of: bytes)) }
                if bytes.count >= needed { throw HeaderRead() }
            }
        } catch is HeaderRead {
        } catch let error as FileError {
            throw CheckpointError(file: path, error.message)
        }
        return try metadata(in: header(of: bytes, file: path).root, file: path)
    }

    /// The header length the first 8 bytes give, little-endian.
    private static func headerLength(of bytes: [UInt8]) -> UInt64 {
        bytes[0..<8].enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
    }

    /// The header of a file whose bytes begin with `bytes` (the whole header at least), and
    /// where its data begins.
    private static func header(of bytes: [UInt8], file: String) throws -> (root: JSONObject, dataStart: Int) {
        func fail(_ message: String) -> CheckpointError { CheckpointError(file: file, message) }
        guard bytes.count >= 8 else {
            throw fail("the file is \(bytes.count) bytes long, too short for a safetensors header (truncated?)")
        }
        let headerLength = headerLength(of: bytes)
        guard headerLength <= UInt64(Self.maximumHeaderBytes) else {
            throw fail("the header claims \(headerLength) bytes, more than the \(Self.maximumHeaderBytes) a safetensors header may have")
        }
        guard Int(headerLength) <= bytes.count - 8 else {
            throw fail("the header claims \(headerLength) bytes but only \(bytes.count - 8) follow (truncated?)")
        }
        let dataStart = 8 + Int(headerLength)
        let document: ConfigDocument
        do {
            document = try ConfigDocument(utf8: bytes[8..<dataStart], file: file, maxDepth: 8)
        } catch {
            throw fail("the header is not valid JSON: \(error)")
        }
        guard let root = document.root.objectValue else { throw fail("the header is not a JSON object") }
        return (root, dataStart)
    }

    /// The header's `__metadata__`, every value a string.
    private static func metadata(in root: JSONObject, file: String) throws -> [String: String] {
        var metadata: [String: String] = [:]
        guard let member = root.member("__metadata__") else { return metadata }
        guard let object = member.value.objectValue else { throw CheckpointError(file: file, "__metadata__ is not an object") }
        for item in object.members {
            guard let text = item.value.stringValue else { throw CheckpointError(file: file, "metadata '\(quoted(item.key))' is not a string") }
            metadata[item.key] = text
        }
        return metadata
    }

    /// The largest header this reader accepts, as `safetensors` itself does (100 MB).
    public static let maximumHeaderBytes = 100_000_000

    /// The file's bytes.
    public func encoded() -> [UInt8] {
        withEncodedParts { parts in
            var file: [UInt8] = []
            file.reserveCapacity(parts.reduce(0) { $0 + $1.count })
            for part in parts { file.append(contentsOf: part) }
            return file
        }
    }

    /// Calls `body` with the file's bytes as parts to be written one after another: the header
    /// (its length and its JSON), then each tensor's elements where they lie in memory, so a
    /// writer needs no copy of the whole file (``encoded()`` joins them). The parts are valid
    /// only inside `body`.
    public func withEncodedParts<Result>(_ body: ([UnsafeRawBufferPointer]) throws -> Result) rethrows -> Result {
        var header = "{\"__metadata__\":{"
        header += metadata.keys.sorted().map { "\(JSONValue.quoted($0)):\(JSONValue.quoted(metadata[$0]!))" }.joined(separator: ",")
        header += "}"
        var offset = 0
        for entry in entries {
            let bytes = entry.tensor.scalarCount * MemoryLayout<Float>.size
            let shape = entry.tensor.shape.map(String.init).joined(separator: ",")
            header += ",\(JSONValue.quoted(entry.name)):{\"dtype\":\"F32\",\"shape\":[\(shape)],\"data_offsets\":[\(offset),\(offset + bytes)]}"
            offset += bytes
        }
        header += "}"
        var headerBytes = Array(header.utf8)
        while headerBytes.count % 8 != 0 { headerBytes.append(UInt8(ascii: " ")) }
        var prefix: [UInt8] = []
        prefix.reserveCapacity(8 + headerBytes.count)
        withUnsafeBytes(of: UInt64(headerBytes.count).littleEndian) { prefix.append(contentsOf: $0) }
        prefix.append(contentsOf: headerBytes)
        return try prefix.withUnsafeBytes { prefix in
            #if _endian(little)
            return try Tensor.withUnsafeBufferPointers(entries.map(\.tensor)) { buffers in
                try body([prefix] + buffers.map { UnsafeRawBufferPointer($0) })
            }
            #else
            var elements: [UInt8] = []
            for entry in entries {
                entry.tensor.withUnsafeBufferPointer { buffer in
                    for value in buffer {
                        withUnsafeBytes(of: value.bitPattern.littleEndian) { elements.append(contentsOf: $0) }
                    }
                }
            }
            return try elements.withUnsafeBytes { try body([prefix, $0]) }
            #endif
        }
    }

    /// Writes the file atomically over the storage of `recycled` when it can
    /// (`AtomicFile.write(parts:to:durable:links:recycling:)`), from the tensors where they lie.
    /// `links` says whether a symbolic link at `path` is followed or refused.
    ///
    /// - Throws: `FileError` when the file cannot be written.
    public func write(to path: String, links: AtomicFile.LinkPolicy = .follow, recycling recycled: String? = nil) throws {
        try withEncodedParts { try AtomicFile.write(parts: $0, to: path, links: links, recycling: recycled) }
    }

    /// Writes the file atomically as a second name of `twin` when that file already holds
    /// exactly these bytes (`AtomicFile.write(parts:to:durable:links:linkingIfEqual:)`), from the
    /// tensors where they lie.
    ///
    /// - Throws: `FileError` when the file cannot be written.
    public func write(to path: String, links: AtomicFile.LinkPolicy = .follow, linkingIfEqual twin: String?) throws {
        try withEncodedParts { try AtomicFile.write(parts: $0, to: path, links: links, linkingIfEqual: twin) }
    }

    /// Reads a file's bytes.
    ///
    /// - Parameters:
    ///   - bytes: the whole file.
    ///   - file: its path, for messages.
    /// - Throws: ``CheckpointError`` when the bytes are not a well-formed safetensors file of
    ///   Float32 tensors.
    public init(decoding bytes: [UInt8], file: String) throws {
        func fail(_ message: String) -> CheckpointError { CheckpointError(file: file, message) }
        let (root, dataStart) = try Self.header(of: bytes, file: file)
        let dataBytes = bytes.count - dataStart
        let metadata = try Self.metadata(in: root, file: file)
        var located: [(name: String, shape: [Int], begin: Int, end: Int)] = []
        for member in root.members {
            if member.key == "__metadata__" { continue }
            guard let description = member.value.objectValue else { throw fail("tensor '\(quoted(member.key))' is not described by an object") }
            let fields = Dictionary(description.members.map { ($0.key, $0.value) }, uniquingKeysWith: { first, _ in first })
            guard let dtypeValue = fields["dtype"] else { throw fail("tensor '\(quoted(member.key))' has no dtype") }
            guard let dtype = dtypeValue.stringValue else {
                throw fail("tensor '\(quoted(member.key))' has dtype \(dtypeValue.foundDescription), not a string; expected \"F32\"")
            }
            guard dtype == "F32" else { throw fail("tensor '\(quoted(member.key))' is \(quoted(dtype)); SwiftGrad reads F32 tensors only") }
            guard let shapeValue = fields["shape"] else { throw fail("tensor '\(quoted(member.key))' has no shape") }
            guard let shapeValues = shapeValue.arrayValue else {
                throw fail("tensor '\(quoted(member.key))' has shape \(shapeValue.foundDescription), not a list; expected a list of dimensions")
            }
            var shape: [Int] = []
            var count = 1
            for value in shapeValues {
                guard let dimension = value.intValue, dimension >= 0 else {
                    throw fail("tensor '\(quoted(member.key))' has a shape entry that is not a non-negative integer")
                }
                let (product, overflow) = count.multipliedReportingOverflow(by: dimension)
                guard !overflow, product <= dataBytes / 4 else {
                    throw fail("tensor '\(quoted(member.key))' of shape [\(shapeValues.map(\.foundDescription).joined(separator: ", "))] needs more bytes than the file holds")
                }
                shape.append(dimension)
                count = product
            }
            guard let offsetsValue = fields["data_offsets"] else { throw fail("tensor '\(quoted(member.key))' has no data_offsets") }
            guard let offsets = offsetsValue.arrayValue, offsets.count == 2,
                  let begin = offsets[0].intValue, let end = offsets[1].intValue, 0 <= begin
            else {
                throw fail("tensor '\(quoted(member.key))' has data_offsets \(offsetsValue.foundDescription); expected two non-negative integers [begin, end]")
            }
            guard begin <= end else {
                throw fail("tensor '\(quoted(member.key))' has data_offsets [\(begin), \(end)], which end before they begin; expected [begin, end]")
            }
            guard end <= dataBytes else {
                throw fail("tensor '\(quoted(member.key))' has data offsets outside the \(dataBytes) data bytes (truncated?)")
            }
            guard end - begin == count * 4 else {
                throw fail("tensor '\(quoted(member.key))' of shape \(shape) needs \(count * 4) bytes but its offsets span \(end - begin)")
            }
            located.append((member.key, shape, begin, end))
        }
        // The tensors must tile the data section exactly, as safetensors requires.
        var covered = 0
        for item in located.sorted(by: { $0.begin < $1.begin }) {
            guard item.begin == covered else {
                throw fail("tensor '\(quoted(item.name))' starts at byte \(item.begin) of the data, expected \(covered): tensors must not overlap or leave gaps")
            }
            covered = item.end
        }
        guard covered == dataBytes else {
            throw fail("the tensors cover \(covered) of the \(dataBytes) data bytes")
        }
        self.metadata = metadata
        self.entries = located.map { item in
            let count = (item.end - item.begin) / 4
            let scalars = [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
                bytes.withUnsafeBytes { raw in
                    let source = UnsafeRawBufferPointer(rebasing: raw[(dataStart + item.begin)..<(dataStart + item.end)])
                    for index in 0..<count {
                        buffer[index] = Float(bitPattern: UInt32(littleEndian: source.loadUnaligned(fromByteOffset: 4 * index, as: UInt32.self)))
                    }
                }
                initialized = count
            }
            return Entry(name: item.name, tensor: Tensor(shape: item.shape, scalars: scalars))
        }
    }
}

/// A checkpoint or model file that cannot be read or does not fit, naming the file.
public struct CheckpointError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file.
    public var file: String
    /// What is wrong with it.
    public var message: String

    /// The longest message kept whole: a file's own strings (its tensors' names, its metadata)
    /// reach messages, and a crafted one must not make an error of megabytes.
    public static let messageLimit = 2000

    /// An error about `file` saying `message`, kept to one line: control characters are
    /// escaped, and past ``messageLimit`` characters the rest is left out, with the count.
    public init(file: String, _ message: String) {
        self.file = file
        self.message = quoted(message, limit: Self.messageLimit)
    }

    public var description: String { "\(file): \(message)" }
}
