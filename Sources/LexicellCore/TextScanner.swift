import Foundation

/// Line-by-line access to a byte buffer, with 1-based line numbers for error messages.
/// Handles LF and CRLF line ends.
public struct LineSplitter: Sequence {
    public let bytes: [UInt8]
    public init(_ bytes: [UInt8]) { self.bytes = bytes }

    public struct Line {
        public var number: Int
        public var range: Range<Int>
    }

    public func makeIterator() -> AnyIterator<Line> {
        var pos = 0
        var number = 0
        let bytes = self.bytes
        let n = bytes.count
        return AnyIterator {
            guard pos < n else { return nil }
            let start = pos
            var end = pos
            bytes.withUnsafeBufferPointer { b in
                while end < n && b[end] != 0x0A { end += 1 }
            }
            pos = end + 1
            number += 1
            var stop = end
            if stop > start && bytes[stop - 1] == 0x0D { stop -= 1 }
            return Line(number: number, range: start..<stop)
        }
    }

    /// All lines as strings (for small files).
    public func strings() -> [String] {
        map { String(decoding: bytes[$0.range], as: UTF8.self) }
    }
}

/// Parsing numbers from ASCII bytes without allocating.
public enum NumberParser {
    /// Parses a decimal integer in `bytes[range]`; nil if it is not one or if it does not fit in `Int`
    /// (so `18446744073709551616` is refused rather than wrapping to 0).
    @inlinable public static func int(_ p: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Int? {
        var i = range.lowerBound
        let end = range.upperBound
        guard i < end else { return nil }
        var neg = false
        if p[i] == 0x2D { neg = true; i += 1 } else if p[i] == 0x2B { i += 1 }
        guard i < end else { return nil }
        // Accumulate the magnitude as UInt64 with overflow checks, then fit it into Int.
        var v: UInt64 = 0
        while i < end {
            let d = Int(p[i]) &- 48
            guard d >= 0 && d <= 9 else { return nil }
            let (m, o1) = v.multipliedReportingOverflow(by: 10)
            let (a, o2) = m.addingReportingOverflow(UInt64(d))
            guard !o1 && !o2 else { return nil }
            v = a
            i += 1
        }
        if neg {
            guard v <= UInt64(Int.max) + 1 else { return nil }
            return v == UInt64(Int.max) + 1 ? Int.min : -Int(v)
        }
        guard v <= UInt64(Int.max) else { return nil }
        return Int(v)
    }

    /// Like `double`, but nil for NaN and ±infinity (also for finite-looking text such as `1e999` that
    /// overflows): the parse for expression values, where a non-finite number is an input error.
    public static func finiteDouble(_ p: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Double? {
        guard let x = double(p, range), x.isFinite else { return nil }
        return x
    }

    /// Parses a decimal floating-point number (also `nan`, `inf`, exponents); nil if it is not one.
    public static func double(_ p: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Double? {
        var i = range.lowerBound
        let end = range.upperBound
        guard i < end else { return nil }
        var neg = false
        if p[i] == 0x2D { neg = true; i += 1 } else if p[i] == 0x2B { i += 1 }
        var mantissa: UInt64 = 0
        var exp10 = 0
        var digits = 0
        var sawDigit = false
        while i < end, p[i] >= 48, p[i] <= 57 {
            if digits < 19 { mantissa = mantissa * 10 + UInt64(p[i] - 48); if mantissa > 0 { digits += 1 } } else { exp10 += 1 }
            sawDigit = true
            i += 1
        }
        if i < end && p[i] == 0x2E {
            i += 1
            while i < end, p[i] >= 48, p[i] <= 57 {
                if digits < 19 { mantissa = mantissa * 10 + UInt64(p[i] - 48); exp10 -= 1; if mantissa > 0 { digits += 1 } }
                sawDigit = true
                i += 1
            }
        }
        if !sawDigit {
            // nan / inf spelled out
            let word = String(decoding: UnsafeBufferPointer(rebasing: p[i..<end]), as: UTF8.self).lowercased()
            if word == "nan" { return .nan }
            if word == "inf" || word == "infinity" { return neg ? -.infinity : .infinity }
            return nil
        }
        if i < end && (p[i] == 0x65 || p[i] == 0x45) {
            i += 1
            guard let e = int(p, i..<end) else {
                // An exponent too long for Int: the value is 0 or ±infinity; let the standard library say which.
                let s = String(decoding: UnsafeBufferPointer(rebasing: p[range]), as: UTF8.self)
                return Double(s)
            }
            let (sum, overflow) = exp10.addingReportingOverflow(e)
            exp10 = overflow ? (e > 0 ? Int.max : Int.min) : sum
            i = end
        }
        guard i == end else { return nil }
        var v = Double(mantissa)
        if exp10 != 0 {
            if exp10 > 0 && exp10 <= 22 {
                v *= pow10[exp10]
            } else if exp10 < 0 && exp10 >= -22 {
                v /= pow10[-exp10]
            } else {
                // Rare: fall back to the standard library's correctly rounded parse.
                let s = String(decoding: UnsafeBufferPointer(rebasing: p[range]), as: UTF8.self)
                return Double(s)
            }
        }
        return neg ? -v : v
    }

    @usableFromInline static let pow10: [Double] = (0...22).map { e in (0..<e).reduce(1.0) { a, _ in a * 10 } }
}

/// Splits a delimited line into field ranges, honouring double quotes ("a,b" and "" escapes).
public enum FieldSplitter {
    public static func split(
        _ p: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, delimiter: UInt8,
        into fields: inout [Range<Int>]
    ) {
        fields.removeAll(keepingCapacity: true)
        var i = range.lowerBound
        let end = range.upperBound
        var start = i
        var inQuotes = false
        while i < end {
            let c = p[i]
            if c == 0x22 {
                inQuotes.toggle()
            } else if c == delimiter && !inQuotes {
                fields.append(start..<i)
                start = i + 1
            }
            i += 1
        }
        fields.append(start..<end)
    }

    /// The field's text with surrounding quotes removed and doubled quotes unescaped.
    public static func string(_ p: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) -> String {
        var lo = r.lowerBound, hi = r.upperBound
        while lo < hi && (p[lo] == 0x20) { lo += 1 }
        while hi > lo && (p[hi - 1] == 0x20) { hi -= 1 }
        if hi - lo >= 2 && p[lo] == 0x22 && p[hi - 1] == 0x22 {
            let s = String(decoding: UnsafeBufferPointer(rebasing: p[(lo + 1)..<(hi - 1)]), as: UTF8.self)
            return s.replacingOccurrences(of: "\"\"", with: "\"")
        }
        return String(decoding: UnsafeBufferPointer(rebasing: p[lo..<hi]), as: UTF8.self)
    }

    /// Splits a whole line into strings (for headers and small tables).
    public static func strings(_ bytes: [UInt8], _ range: Range<Int>, delimiter: UInt8) -> [String] {
        bytes.withUnsafeBufferPointer { p in
            var f = [Range<Int>]()
            split(p, range, delimiter: delimiter, into: &f)
            return f.map { string(p, $0) }
        }
    }
}
