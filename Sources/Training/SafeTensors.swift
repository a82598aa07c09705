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
/// it never traps. A file is read from disk a part at a time (``init(contentsOfFile:limit:memory:links:)``):
/// the header, then each tensor straight into its storage, after the memory that takes
/// (``memoryNeeded(headerBytes:dataBytes:copiesOfTheFile:)``) is checked against a limit the
/// caller gives.
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
    /// - Parameters:
    ///   - path: the file.
    ///   - limit: the largest file accepted, in bytes.
    ///   - memory: the memory the header may take once parsed
    ///     (``memoryNeeded(headerBytes:dataBytes:copiesOfTheFile:)`` with no data), and its
    ///     description for the message; `nil` for no limit.
    /// - Throws: ``CheckpointError`` when the file is missing, not a regular file, larger than
    ///   `limit`, its header is not a well-formed safetensors header, or parsing it would take
    ///   more than `memory`.
    public static func metadata(
        ofFileAt path: String, limit: Int, memory: (bytes: Int, description: String)? = nil
    ) throws -> [String: String] {
        try withOpenFile(path, limit: limit) { file, headerBytes in
            if let memory {
                let needed = memoryNeeded(headerBytes: headerBytes, dataBytes: 0)
                try checkMemory(file: path, fileBytes: file.size, headerBytes: headerBytes, dataBytes: 0, needed: needed, memory: memory)
            }
            return try metadata(in: parseHeader(file.bytes(headerBytes, at: 8), file: path), file: path)
        }
    }

    /// Reads the safetensors file at `path`, each tensor straight from the file into its own
    /// storage: at its peak the reader holds the tensors and the header, never the whole file
    /// beside them (``memoryNeeded(headerBytes:dataBytes:copiesOfTheFile:)``).
    ///
    /// - Parameters:
    ///   - path: the file.
    ///   - limit: the largest file accepted, in bytes.
    ///   - memory: the memory reading may take, and its description for the message
    ///     (`the 512.0 MiB of SWIFTGRAD_MAX_MEMORY_MB=512`); `nil` for no limit. The need is
    ///     worked out from the file's size and its header's length, before the header is parsed
    ///     or any tensor read.
    ///   - links: whether a symbolic link at `path` is read through or refused
    ///     (`AtomicFile.LinkPolicy`).
    /// - Throws: ``CheckpointError`` when the file is missing, not a regular file, larger than
    ///   `limit`, would need more than `memory`, or is not a well-formed safetensors file of
    ///   Float32 tensors.
    public init(
        contentsOfFile path: String, limit: Int, memory: (bytes: Int, description: String)? = nil,
        links: AtomicFile.LinkPolicy = .follow
    ) throws {
        (entries, metadata) = try Self.withOpenFile(path, limit: limit, links: links) { file, headerBytes in
            let dataStart = 8 + headerBytes
            let dataBytes = file.size - dataStart
            if let memory {
                let needed = Self.memoryNeeded(headerBytes: headerBytes, dataBytes: dataBytes)
                try Self.checkMemory(file: path, fileBytes: file.size, headerBytes: headerBytes, dataBytes: dataBytes, needed: needed, memory: memory)
            }
            let root = try Self.parseHeader(file.bytes(headerBytes, at: 8), file: path)
            let metadata = try Self.metadata(in: root, file: path)
            var entries: [Entry] = []
            for item in try Self.layout(of: root, dataBytes: dataBytes, file: path) {
                var failure: (any Error)?
                let tensor = Tensor(shape: item.shape) { buffer in
                    do {
                        try file.read(into: UnsafeMutableRawBufferPointer(buffer), at: dataStart + item.begin)
                        #if !_endian(little)
                        for index in buffer.indices { buffer[index] = Float(bitPattern: UInt32(littleEndian: buffer[index].bitPattern)) }
                        #endif
                    } catch {
                        failure = error
                        buffer.initialize(repeating: 0)
                    }
                }
                if let failure { throw failure }
                entries.append(Entry(name: item.name, tensor: tensor))
            }
            return (entries, metadata)
        }
    }

    /// How many times its own size a header may take once parsed: the bytes read, the JSON tree
    /// with the position of every value, the tensors' descriptions, names and storage objects.
    /// Each JSON value becomes a node of about 80 bytes, so a header of numbers two bytes apart
    /// (`[0,0,…]`, the densest there is) takes about 42 times its size (measured), a million
    /// empty tensors about 19 times; this leaves room above the densest.
    public static let headerMemoryFactor = 48

    /// The most memory reading a file takes at once: `dataBytes` of tensors, read straight into
    /// their storage, ``headerMemoryFactor`` times the `headerBytes` of its header, and
    /// `copiesOfTheFile` times the whole file's size for a caller that holds its bytes
    /// (``init(decoding:file:)-([UInt8],_)`` decodes one copy). Saturates at `Int.max` rather
    /// than overflowing.
    public static func memoryNeeded(headerBytes: Int, dataBytes: Int, copiesOfTheFile: Int = 0) -> Int {
        let file = saturatingSum([8, headerBytes, dataBytes])
        return saturatingSum([saturatingProduct([headerBytes, headerMemoryFactor]), dataBytes, saturatingProduct([file, copiesOfTheFile])])
    }

    /// Refuses a file whose reading would take more than `memory`: `needed` bytes, saying
    /// what the file holds and what reading it needs.
    static func checkMemory(
        file: String, fileBytes: Int, headerBytes: Int, dataBytes: Int, needed: Int, memory: (bytes: Int, description: String)
    ) throws {
        guard needed > memory.bytes else { return }
        throw CheckpointError(
            file: file,
            "the file is \(memorySize(fileBytes)) (a header of \(memorySize(headerBytes)) and \(memorySize(dataBytes)) of tensors), and reading it would need about \(memorySize(needed)) of memory, more than \(memory.description); expected a file that fits, or read it with more memory")
    }

    /// Opens the file at `path` and calls `body` with it and its header's length, which lies
    /// within the file and within ``maximumHeaderBytes``.
    private static func withOpenFile<Result>(
        _ path: String, limit: Int, links: AtomicFile.LinkPolicy = .follow,
        _ body: (InputFile.OpenFile, _ headerBytes: Int) throws -> Result
    ) throws -> Result {
        do {
            return try InputFile.withOpenFile(path, limit: limit, what: "checkpoint", links: links) { file in
                guard file.size >= 8 else { throw tooShort(file.size, file: path) }
                let headerBytes = try checkedHeaderLength(of: file.bytes(8, at: 0), following: file.size - 8, file: path)
                return try body(file, headerBytes)
            }
        } catch let error as FileError {
            throw CheckpointError(file: path, error.message)
        }
    }

    /// The header length the first 8 bytes give, little-endian.
    static func headerLength(of bytes: some Collection<UInt8>) -> UInt64 {
        bytes.prefix(8).enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
    }

    /// The header length the first 8 of `bytes` give, once it is known to be at most
    /// ``maximumHeaderBytes`` and at most the `following` bytes the file holds after them. The
    /// length is compared as the unsigned number it is, so that no length a file can hold
    /// overflows an `Int`.
    private static func checkedHeaderLength(of bytes: some Collection<UInt8>, following: Int, file: String) throws -> Int {
        let length = headerLength(of: bytes)
        guard length <= UInt64(maximumHeaderBytes) else {
            throw CheckpointError(file: file, "the header claims \(length) bytes, more than the \(maximumHeaderBytes) a safetensors header may have")
        }
        guard Int(length) <= following else {
            throw CheckpointError(file: file, "the header claims \(length) bytes but only \(following) follow (truncated?)")
        }
        return Int(length)
    }

    private static func tooShort(_ count: Int, file: String) -> CheckpointError {
        CheckpointError(file: file, "the file is \(count) bytes long, too short for a safetensors header (truncated?)")
    }

    /// The header of a file whose bytes begin with `bytes` (the whole header at least), and
    /// where its data begins.
    private static func header(of bytes: UnsafeRawBufferPointer, file: String) throws -> (root: JSONObject, dataStart: Int) {
        guard bytes.count >= 8 else { throw tooShort(bytes.count, file: file) }
        let headerBytes = try checkedHeaderLength(of: bytes, following: bytes.count - 8, file: file)
        return (try parseHeader(UnsafeRawBufferPointer(rebasing: bytes[8..<(8 + headerBytes)]), file: file), 8 + headerBytes)
    }

    /// The JSON object `bytes` hold.
    private static func parseHeader(_ bytes: some Collection<UInt8>, file: String) throws -> JSONObject {
        let document: ConfigDocument
        do {
            document = try ConfigDocument(utf8: bytes, file: file, maxDepth: 8)
        } catch {
            throw CheckpointError(file: file, "the header is not valid JSON: \(error)")
        }
        guard let root = document.root.objectValue else { throw CheckpointError(file: file, "the header is not a JSON object") }
        return root
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

    /// Where a tensor lies in the data section, by its header entry.
    private struct Location {
        var name: String
        var shape: [Int]
        /// Its first byte and the byte after its last, counted from the start of the data.
        var begin: Int
        var end: Int
    }

    /// The tensors the header describes, in header order, once every description is known to
    /// be an F32 tensor whose bytes lie within the `dataBytes` of the data section and match its
    /// shape, and the tensors together tile the section exactly, as safetensors requires. Every
    /// count is bounded by `dataBytes` before it is multiplied, so no header overflows.
    private static func layout(of root: JSONObject, dataBytes: Int, file: String) throws -> [Location] {
        func fail(_ message: String) -> CheckpointError { CheckpointError(file: file, message) }
        var located: [Location] = []
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
            // count ≤ dataBytes / 4 and 0 ≤ begin ≤ end ≤ dataBytes: neither side can overflow.
            guard end - begin == count * 4 else {
                throw fail("tensor '\(quoted(member.key))' of shape \(shape) needs \(count * 4) bytes but its offsets span \(end - begin)")
            }
            located.append(Location(name: member.key, shape: shape, begin: begin, end: end))
        }
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
        return located
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

    /// Reads a file's bytes already in memory (``init(contentsOfFile:limit:memory:links:)`` reads a
    /// file without holding it whole).
    ///
    /// - Parameters:
    ///   - bytes: the whole file.
    ///   - file: its path, for messages.
    /// - Throws: ``CheckpointError`` when the bytes are not a well-formed safetensors file of
    ///   Float32 tensors.
    public init(decoding bytes: [UInt8], file: String) throws {
        try self.init(decoding: bytes[...], file: file)
    }

    /// Reads a file's bytes that are part of a larger array (a message that carries them),
    /// without copying them out of it first.
    ///
    /// - Throws: ``CheckpointError`` as ``init(decoding:file:)-([UInt8],_)`` does.
    public init(decoding bytes: ArraySlice<UInt8>, file: String) throws {
        (entries, metadata) = try bytes.withUnsafeBytes { raw in
            let (root, dataStart) = try Self.header(of: raw, file: file)
            let metadata = try Self.metadata(in: root, file: file)
            let entries = try Self.layout(of: root, dataBytes: raw.count - dataStart, file: file).map { item in
                let source = UnsafeRawBufferPointer(rebasing: raw[(dataStart + item.begin)..<(dataStart + item.end)])
                let tensor = Tensor(shape: item.shape) { buffer in
                    for index in buffer.indices {
                        buffer[index] = Float(bitPattern: UInt32(littleEndian: source.loadUnaligned(fromByteOffset: 4 * index, as: UInt32.self)))
                    }
                }
                return Entry(name: item.name, tensor: tensor)
            }
            return (entries, metadata)
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
