import Foundation
import LexicellCore
import CLexZlib

/// Streams the lines of a possibly gzipped text file without loading it whole: the file is read and
/// inflated in chunks, and each line is handed out as bytes (no String per line).
/// Large genes × cells CSVs from GEO are over a gigabyte once decompressed, hence streaming.
struct LineStream {
    let path: String
    var chunkSize = 1 << 22

    init(path: String) { self.path = path }

    /// Calls `body(line, lineNumber)` for each line (LF or CRLF ends removed, 1-based numbers).
    /// `body` returns false to stop early.
    func forEachLine(_ body: (UnsafeBufferPointer<UInt8>, Int) throws -> Bool) throws {
        let reader = try LineReader(path: path, chunkSize: chunkSize)
        while let line = try reader.next() {
            if try !body(line, reader.lineNumber) { return }
        }
    }
}

/// The lines of a possibly gzipped file, one at a time on demand, so a reader can stop between lines and go
/// on later (the block readers of `CellChunks` keep one open between blocks).
final class LineReader {
    let path: String
    /// The number of the line last returned (1-based; 0 before the first).
    private(set) var lineNumber = 0
    private var plain: ByteSource
    private let prefetch: Prefetcher?
    private let chunkSize: Int
    private var buf: UnsafeMutablePointer<UInt8>
    private var capacity: Int
    private var start = 0, end = 0
    private var finished = false

    init(path: String, chunkSize requested: Int = 1 << 22) throws {
        self.path = path
        // Small files get small buffers (a 100-byte label file needs no 8 MiB of zeroed memory).
        let size = ((try? FileManager.default.attributesOfItem(atPath: path)[.size]) as? NSNumber)?.intValue ?? requested
        var chunkSize = requested
        if size >= 0 && size < chunkSize { chunkSize = min(chunkSize, max(1 << 16, size + 1)) }
        self.chunkSize = chunkSize
        plain = try ByteSource(path: path, chunkSize: chunkSize)
        // Inflating takes about as long as parsing: for large gzip files it runs on its own thread.
        prefetch = plain.isGzip && plain.fileSize > 1 << 20 ? Prefetcher(source: plain, chunkSize: chunkSize) : nil
        capacity = chunkSize * 2
        buf = .allocate(capacity: capacity)
    }

    deinit {
        prefetch?.cancel()
        buf.deallocate()
    }

    /// The next line without its LF or CRLF end, valid until the next call; nil at the end of the file.
    func next() throws -> UnsafeBufferPointer<UInt8>? {
        while true {
            if start < end, let nl = memchr(buf + start, 0x0A, end - start) {
                let nlIndex = buf.distance(to: nl.assumingMemoryBound(to: UInt8.self))
                return line(upTo: nlIndex, next: nlIndex + 1)
            }
            if finished {
                // Last line without a newline.
                return start < end ? line(upTo: end, next: end) : nil
            }
            // Move the unfinished line to the front and refill behind it.
            if start > 0 {
                if end > start { memmove(buf, buf + start, end - start) }
                end -= start
                start = 0
            }
            if capacity - end < chunkSize {
                let grown = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity * 2)
                grown.update(from: buf, count: end)
                buf.deallocate()
                buf = grown
                capacity *= 2
            }
            let got = try prefetch?.read(into: buf + end, capacity: capacity - end) ?? plain.read(into: buf + end, capacity: capacity - end)
            if got == 0 { finished = true } else { end += got }
        }
    }

    @inline(__always)
    private func line(upTo stop: Int, next: Int) -> UnsafeBufferPointer<UInt8> {
        var lineEnd = stop
        if lineEnd > start && buf[lineEnd - 1] == 0x0D { lineEnd -= 1 }
        lineNumber += 1
        let line = UnsafeBufferPointer(start: buf + start, count: lineEnd - start)
        start = next
        return line
    }
}

/// Runs a ByteSource on a background thread, handing over filled chunks through a queue of two.
private final class Prefetcher: @unchecked Sendable {
    private let condition = NSCondition()
    private var ready: [[UInt8]] = []
    private var failure: Error?
    private var done = false
    private var cancelled = false
    private var current: [UInt8] = []
    private var offset = 0

    init(source: ByteSource, chunkSize: Int) {
        let thread = Thread { [self] in
            var source = source
            while true {
                var chunk = [UInt8](repeating: 0, count: chunkSize)
                var n = 0
                var error: Error?
                do {
                    n = try chunk.withUnsafeMutableBufferPointer { try source.read(into: $0.baseAddress!, capacity: $0.count) }
                } catch let e { error = e }
                condition.lock()
                while ready.count >= 2 && !cancelled { condition.wait() }
                if cancelled { condition.unlock(); return }
                if let error {
                    failure = error; done = true
                } else if n == 0 {
                    done = true
                } else {
                    chunk.removeSubrange(n...)
                    ready.append(chunk)
                }
                let finished = done
                condition.broadcast()
                condition.unlock()
                if finished { return }
            }
        }
        thread.stackSize = 1 << 20
        thread.start()
    }

    func read(into out: UnsafeMutablePointer<UInt8>, capacity: Int) throws -> Int {
        if offset >= current.count {
            condition.lock()
            while ready.isEmpty && !done { condition.wait() }
            if ready.isEmpty {
                let error = failure
                condition.unlock()
                if let error { throw error }
                return 0
            }
            current = ready.removeFirst()
            offset = 0
            condition.broadcast()
            condition.unlock()
        }
        let n = min(capacity, current.count - offset)
        current.withUnsafeBufferPointer { out.update(from: $0.baseAddress! + offset, count: n) }
        offset += n
        return n
    }

    /// Stops the thread when the reader stops early or fails.
    func cancel() {
        condition.lock()
        cancelled = true
        condition.broadcast()
        condition.unlock()
    }
}

/// The bytes of a file, inflated on the fly when it starts with the gzip magic bytes.
private struct ByteSource {
    let path: String
    let file: UnsafeMutablePointer<FILE>
    let isGzip: Bool
    let fileSize: Int
    var raw: [UInt8]
    var rawStart = 0, rawEnd = 0
    var rawEOF = false
    var stream: UnsafeMutablePointer<z_stream>?
    var memberDone = false
    var closer: Closer

    /// Closes the file and zlib state when the last copy goes away.
    final class Closer {
        var file: UnsafeMutablePointer<FILE>?
        var stream: UnsafeMutablePointer<z_stream>?
        deinit {
            if let file { fclose(file) }
            if let stream { inflateEnd(stream); stream.deallocate() }
        }
    }

    init(path: String, chunkSize: Int) throws {
        self.path = path
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
            throw LexicellError("file not found", file: path)
        }
        guard !isDir.boolValue else { throw LexicellError("is a directory, expected a file", file: path) }
        fileSize = ((try? FileManager.default.attributesOfItem(atPath: path)[.size]) as? NSNumber)?.intValue ?? 0
        guard let f = fopen(path, "rb") else { throw LexicellError("cannot open file (permissions?)", file: path) }
        file = f
        closer = Closer()
        closer.file = f
        raw = [UInt8](repeating: 0, count: max(chunkSize, 2))
        rawEnd = raw.withUnsafeMutableBytes { fread($0.baseAddress!, 1, 2, f) }
        isGzip = rawEnd == 2 && raw[0] == 0x1f && raw[1] == 0x8b
        if isGzip {
            let s = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
            s.initialize(to: z_stream())
            guard inflateInit2_(s, 15 + 32, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
                s.deallocate()
                throw LexicellError("zlib could not start", file: path)
            }
            stream = s
            closer.stream = s
        }
    }

    private mutating func fillRaw() {
        if rawStart < rawEnd || rawEOF { return }
        let n = raw.withUnsafeMutableBytes { fread($0.baseAddress!, 1, $0.count, file) }
        rawStart = 0
        rawEnd = n
        if n == 0 { rawEOF = true }
    }

    /// Reads up to `capacity` bytes; 0 means end of data.
    mutating func read(into out: UnsafeMutablePointer<UInt8>, capacity: Int) throws -> Int {
        if !isGzip {
            var n = 0
            if rawStart < rawEnd {
                n = min(capacity, rawEnd - rawStart)
                raw.withUnsafeBytes { out.update(from: $0.baseAddress!.assumingMemoryBound(to: UInt8.self) + rawStart, count: n) }
                rawStart += n
                return n
            }
            n = fread(out, 1, capacity, file)
            if n == 0 && ferror(file) != 0 { throw LexicellError("read error", file: path) }
            return n
        }
        let s = stream!
        var produced = 0
        while produced < capacity {
            fillRaw()
            if rawStart >= rawEnd {
                // Input ended: fine only after a complete member.
                if memberDone { return produced }
                throw LexicellError("gzip stream is truncated (ends before its end marker)", file: path)
            }
            if memberDone {
                // Another gzip member may follow; padding zeros are skipped.
                while rawStart < rawEnd && raw[rawStart] == 0 { rawStart += 1 }
                if rawStart >= rawEnd { continue }
                inflateReset(s)
                memberDone = false
            }
            let before = rawEnd - rawStart
            let status: Int32 = raw.withUnsafeMutableBufferPointer { r in
                s.pointee.next_in = r.baseAddress! + rawStart
                s.pointee.avail_in = UInt32(min(before, Int(UInt32.max)))
                s.pointee.next_out = out + produced
                s.pointee.avail_out = UInt32(min(capacity - produced, Int(UInt32.max)))  // a buffer grown for a very long line
                return inflate(s, Z_NO_FLUSH)
            }
            rawStart += before - Int(s.pointee.avail_in)
            produced = capacity - Int(s.pointee.avail_out)
            switch status {
            case Z_OK, Z_BUF_ERROR: continue
            case Z_STREAM_END: memberDone = true
            default:
                let msg = s.pointee.msg.map { String(cString: $0) } ?? "code \(status)"
                throw LexicellError("gzip data is corrupt (\(msg))", file: path)
            }
        }
        return produced
    }
}
