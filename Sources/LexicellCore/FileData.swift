import Foundation
import CLexZlib

/// Reading whole input files, transparently gunzipping `.gz` (by magic bytes, not by name).
public enum FileData {
    /// The file's bytes, decompressed when it is gzip. Errors name the file.
    public static func read(_ path: String) throws -> [UInt8] {
        guard FileManager.default.fileExists(atPath: path) else {
            throw LexicellError("file not found", file: path)
        }
        // An empty regular file is empty (and Foundation's contents(atPath:) leaks a buffer on it);
        // pipes and other special files report size 0 too, so only regular files take this path.
        if let attributes = try? FileManager.default.attributesOfItem(atPath: path),
           attributes[.type] as? FileAttributeType == .typeRegular, (attributes[.size] as? NSNumber)?.intValue == 0 {
            return []
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw LexicellError("cannot read file (permissions?)", file: path)
        }
        let bytes = [UInt8](data)
        if bytes.count >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b {
            return try gunzip(bytes, name: path)
        }
        return bytes
    }

    /// Decompresses gzip data (several concatenated members allowed). A truncated or corrupt stream is an error.
    public static func gunzip(_ input: [UInt8], name: String) throws -> [UInt8] {
        guard !input.isEmpty else { throw LexicellError("gzip stream is empty", file: name) }
        var out = [UInt8]()
        out.reserveCapacity(input.count * 4)
        var stream = z_stream()
        guard inflateInit2_(&stream, 15 + 32, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw LexicellError("zlib could not start", file: name)
        }
        defer { inflateEnd(&stream) }
        let chunk = 1 << 18
        var buffer = [UInt8](repeating: 0, count: chunk)
        try input.withUnsafeBufferPointer { inp in
            // zlib counts input in UInt32: feed inputs over 4 GiB in slices. `fed` is how far input was handed over.
            let slice = inputSlice
            var fed = 0
            func feed(from offset: Int) {
                let n = min(slice, inp.count - offset)
                stream.next_in = UnsafeMutablePointer(mutating: inp.baseAddress! + offset)
                stream.avail_in = UInt32(n)
                fed = offset + n
            }
            feed(from: 0)
            while true {
                if stream.avail_in == 0 && fed < inp.count { feed(from: fed) }
                let status: Int32 = buffer.withUnsafeMutableBufferPointer { ob in
                    stream.next_out = ob.baseAddress!
                    stream.avail_out = UInt32(chunk)
                    return inflate(&stream, Z_NO_FLUSH)
                }
                let produced = chunk - Int(stream.avail_out)
                out.append(contentsOf: buffer[0..<produced])
                let exhausted = stream.avail_in == 0 && fed >= inp.count
                switch status {
                case Z_OK:
                    if exhausted && produced == 0 {
                        throw LexicellError("gzip stream is truncated (ends before its end marker)", file: name)
                    }
                case Z_STREAM_END:
                    var offset = fed - Int(stream.avail_in)
                    // Skip padding zeros; another member may follow.
                    while offset < inp.count && inp[offset] == 0 { offset += 1 }
                    if offset >= inp.count { return }
                    inflateReset(&stream)
                    feed(from: offset)
                case Z_BUF_ERROR:
                    if exhausted {
                        throw LexicellError("gzip stream is truncated (ends before its end marker)", file: name)
                    }
                default:
                    let msg = stream.msg.map { String(cString: $0) } ?? "code \(status)"
                    throw LexicellError("gzip data is corrupt (\(msg))", file: name)
                }
            }
        }
        return out
    }

    /// Bytes handed to zlib at a time (its counters are 32-bit); tests lower it to exercise the slicing.
    static var inputSlice = 1 << 30

    /// Compresses bytes as a gzip member (for writing `.gz` outputs and test fixtures).
    public static func gzip(_ input: [UInt8], level: Int32 = 6) -> [UInt8] {
        var stream = z_stream()
        deflateInit2_(&stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY, ZLIB_VERSION,
                      Int32(MemoryLayout<z_stream>.size))
        defer { deflateEnd(&stream) }
        var out = [UInt8]()
        let chunk = 1 << 16
        var buffer = [UInt8](repeating: 0, count: chunk)
        input.withUnsafeBufferPointer { inp in
            var fed = 0
            var status: Int32 = Z_OK
            repeat {
                if stream.avail_in == 0 && fed < inp.count {
                    let n = min(inputSlice, inp.count - fed)
                    stream.next_in = UnsafeMutablePointer(mutating: inp.baseAddress! + fed)
                    stream.avail_in = UInt32(n)
                    fed += n
                }
                let flush = fed >= inp.count ? Z_FINISH : Z_NO_FLUSH
                buffer.withUnsafeMutableBufferPointer { ob in
                    stream.next_out = ob.baseAddress!
                    stream.avail_out = UInt32(chunk)
                    status = deflate(&stream, flush)
                }
                out.append(contentsOf: buffer[0..<(chunk - Int(stream.avail_out))])
            } while status == Z_OK
        }
        return out
    }
}

/// Writes files atomically: to a temporary sibling, then renamed over the target, so a killed run never
/// leaves a half-written output.
public enum AtomicFile {
    public static func write(_ data: Data, to path: String) throws {
        let url = URL(fileURLWithPath: path)
        let dir = url.deletingLastPathComponent()
        do {
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            try data.write(to: url, options: .atomic)
        } catch {
            throw LexicellError("cannot write output (\(error.localizedDescription))", file: path)
        }
    }

    public static func write(_ text: String, to path: String) throws {
        try write(Data(text.utf8), to: path)
    }
}
