import Foundation

/// Writes at `path` a safetensors file of one F32 tensor `w` of `tensorBytes` bytes, its header
/// padded to a multiple of 8 bytes with spaces, the tensor a hole: the file system stores no
/// data for it, so a file of gigabytes costs nothing. With `format`, the header's metadata gives
/// it as `swiftgrad.format`, as a checkpoint's does.
///
/// - Returns: the header's length and the file's size, in bytes.
@discardableResult
public func writeSparseSafeTensors(_ path: String, tensorBytes: Int, format: String? = nil) throws -> (headerBytes: Int, size: Int) {
    let metadata = format.map { #""__metadata__":{"swiftgrad.format":"\#($0)"},"# } ?? ""
    var header = #"{\#(metadata)"w":{"dtype":"F32","shape":[\#(tensorBytes / 4)],"data_offsets":[0,\#(tensorBytes)]}}"#
    while header.utf8.count % 8 != 0 { header += " " }
    var prefix: [UInt8] = []
    withUnsafeBytes(of: UInt64(header.utf8.count).littleEndian) { prefix.append(contentsOf: $0) }
    prefix += Array(header.utf8)
    try Data(prefix).write(to: URL(fileURLWithPath: path))
    let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
    try handle.truncate(atOffset: UInt64(prefix.count + tensorBytes))
    try handle.close()
    return (header.utf8.count, prefix.count + tensorBytes)
}

/// The `__metadata__` of the safetensors file at `path`, read from its header alone (an empty
/// dictionary when the header has none).
public func safeTensorsMetadata(_ path: String) throws -> [String: String] {
    let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
    defer { try? handle.close() }
    let prefix = try handle.read(upToCount: 8) ?? Data()
    guard prefix.count == 8 else { throw CocoaError(.fileReadCorruptFile) }
    let length = prefix.reversed().reduce(0) { $0 << 8 | Int($1) }
    let header = try handle.read(upToCount: length) ?? Data()
    let object = try JSONSerialization.jsonObject(with: header) as? [String: Any]
    return object?["__metadata__"] as? [String: String] ?? [:]
}
