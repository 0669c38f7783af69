import Foundation
import LexicellCore

/// One-dimensional LOESS (Cleveland, Grosse & Shyu): local weighted polynomial regression with tricube
/// weights over the `floor(n·span)` nearest points, family "gaussian" (no robustness iterations).
///
/// Two surfaces, as in R's `loess` and `skmisc.loess` (which scanpy's seurat_v3 HVG selection uses):
/// - `.interpolate` (their default): local fits (value and slope) only at the vertices of a k-d tree whose
///   cells hold at most `floor(n·span·cell)` points (cell = 0.2), then cubic Hermite interpolation inside
///   each cell. This is what scanpy actually computes, so it is the default here too.
/// - `.direct`: the local fit evaluated exactly at every point.
public enum ExpressionLoess {
    public enum Surface: String, Sendable, Equatable, Codable { case interpolate, direct }

    /// Fitted values at the data points `x` (same order). `degree` is 1 or 2.
    public static func fit(
        x: [Double], y: [Double], span: Double = 0.3, degree: Int = 2,
        surface: Surface = .interpolate, cell: Double = 0.2
    ) throws -> [Double] {
        let n = x.count
        guard n == y.count else { throw LexicellError("LOESS: \(x.count) x values but \(y.count) y values") }
        guard degree == 1 || degree == 2 else { throw LexicellError("LOESS: degree must be 1 or 2, got \(degree)") }
        guard span > 0 else { throw LexicellError("LOESS: span must be positive, got \(span)") }
        guard x.allSatisfy({ $0.isFinite }) && y.allSatisfy({ $0.isFinite }) else {
            throw LexicellError("LOESS: x and y must be finite")
        }
        let neighbours = min(n, Int((Double(n) * span).rounded(.down)))
        guard neighbours > degree + 1 else {
            throw LexicellError("LOESS: span \(span) × \(n) points leaves \(neighbours) neighbours; need more than \(degree + 1)")
        }
        let order = (0..<n).sorted { x[$0] < x[$1] || (x[$0] == x[$1] && $0 < $1) }
        let xs = order.map { x[$0] }, ys = order.map { y[$0] }
        let local = LocalFitter(xs: xs, ys: ys, neighbours: neighbours, degree: degree, span: span)
        var fittedSorted = [Double](repeating: 0, count: n)
        switch surface {
        case .direct:
            for i in 0..<n { fittedSorted[i] = try local.fit(at: xs[i]).value }
        case .interpolate:
            let tree = KDTree1D(xs: xs, leafSize: Int((Double(n) * span * cell).rounded(.down)))
            var vertexValue = [Double](), vertexSlope = [Double]()
            for v in tree.vertices {
                let f = try local.fit(at: v)
                vertexValue.append(f.value)
                vertexSlope.append(f.slope)
            }
            for i in 0..<n {
                let (lo, hi) = tree.cell(containing: xs[i])
                let x0 = tree.vertices[lo], x1 = tree.vertices[hi]
                let width = x1 - x0
                let h = (xs[i] - x0) / width
                // Cubic Hermite basis on [x0, x1] from the two vertices' values and slopes.
                let phi0 = (1 - h) * (1 - h) * (1 + 2 * h), phi1 = h * h * (3 - 2 * h)
                let psi0 = h * (1 - h) * (1 - h), psi1 = h * h * (h - 1)
                fittedSorted[i] =
                    phi0 * vertexValue[lo] + phi1 * vertexValue[hi]
                    + (psi0 * vertexSlope[lo] + psi1 * vertexSlope[hi]) * width
            }
        }
        var fitted = [Double](repeating: 0, count: n)
        for (i, o) in order.enumerated() { fitted[o] = fittedSorted[i] }
        return fitted
    }

    /// Weighted least squares of a local polynomial around a query point, on x sorted ascending.
    struct LocalFitter {
        let xs: [Double], ys: [Double]
        let neighbours: Int, degree: Int, span: Double

        /// Value and first derivative of the local polynomial at `q`.
        func fit(at q: Double) throws -> (value: Double, slope: Double) {
            let n = xs.count
            // The nearest points form a contiguous window of the sorted x; grow it from the insertion point.
            var lo = lowerBound(q), hi = lo  // window is lo..<hi
            while hi - lo < neighbours {
                if lo == 0 { hi += 1 } else if hi == n { lo -= 1 } else if q - xs[lo - 1] <= xs[hi] - q { lo -= 1 } else { hi += 1 }
            }
            let radius = max(q - xs[lo], xs[hi - 1] - q)
            let rho = radius * radius * max(1, span)
            guard rho > 0 else { throw LexicellError("LOESS: all \(neighbours) neighbours of \(q) share its x value; increase span") }
            // Weighted least squares in t = (x − q)/radius, so the moments stay O(1) and the 3 × 3 normal
            // equations are well conditioned; the tricube weight (1 − |d|³/r³)³ is zero at the radius.
            let p = degree + 1
            var moments = [Double](repeating: 0, count: 2 * p - 1)
            var rhs = [Double](repeating: 0, count: p)
            let scale = 1 / rho.squareRoot()
            xs.withUnsafeBufferPointer { xp in
                ys.withUnsafeBufferPointer { yp in
                    for i in lo..<hi {
                        let t = (xp[i] - q) * scale
                        let a = abs(t)
                        guard a < 1 else { continue }
                        let c = 1 - a * a * a
                        let w = c * c * c
                        var power = w
                        for k in 0..<(2 * p - 1) {
                            moments[k] += power
                            if k < p { rhs[k] += power * yp[i] }
                            power *= t
                        }
                    }
                }
            }
            var a = [Double](repeating: 0, count: p * p)
            for r in 0..<p { for c in 0..<p { a[r * p + c] = moments[r + c] } }
            let beta = Self.solveSymmetric(a, rhs, size: p)
            return (beta[0], beta[1] * scale)
        }

        /// Gaussian elimination with partial pivoting; a pivot that vanishes relative to the matrix
        /// gives coefficient 0 (loess uses a pseudoinverse there).
        static func solveSymmetric(_ matrix: [Double], _ vector: [Double], size n: Int) -> [Double] {
            var a = matrix, b = vector
            let tolerance = (a.map { abs($0) }.max() ?? 0) * 1e-13
            var singular = [Bool](repeating: false, count: n)
            for col in 0..<n {
                var pivot = col
                for r in (col + 1)..<max(col + 1, n) where abs(a[r * n + col]) > abs(a[pivot * n + col]) { pivot = r }
                if pivot != col {
                    for c in 0..<n { a.swapAt(col * n + c, pivot * n + c) }
                    b.swapAt(col, pivot)
                }
                let d = a[col * n + col]
                if abs(d) <= tolerance { singular[col] = true; continue }
                for r in (col + 1)..<max(col + 1, n) {
                    let f = a[r * n + col] / d
                    if f == 0 { continue }
                    for c in col..<n { a[r * n + c] -= f * a[col * n + c] }
                    b[r] -= f * b[col]
                }
            }
            var x = [Double](repeating: 0, count: n)
            for r in stride(from: n - 1, through: 0, by: -1) where !singular[r] {
                var s = b[r]
                for c in (r + 1)..<max(r + 1, n) { s -= a[r * n + c] * x[c] }
                x[r] = s / a[r * n + r]
            }
            return x
        }

        private func lowerBound(_ q: Double) -> Int {
            var a = 0, b = xs.count
            while a < b { let m = (a + b) / 2; if xs[m] < q { a = m + 1 } else { b = m } }
            return a
        }
    }

    /// The k-d tree of loess's interpolation surface, in one dimension: the bounding box (widened by 0.5 %
    /// of the range on both sides) is split at the median point (ties kept together) until a cell holds at
    /// most `leafSize` points. Vertices are the box ends and the split values.
    struct KDTree1D {
        private(set) var vertices: [Double] = []
        /// For each node: split value (nil for a leaf), children, bounding vertex indices.
        private var split: [Double?] = [], lowChild: [Int] = [], highChild: [Int] = []
        private var lowVertex: [Int] = [], highVertex: [Int] = []

        init(xs: [Double], leafSize: Int) {
            let minX = xs.first!, maxX = xs.last!
            let margin = 0.005 * max(maxX - minX, 1e-10 * max(abs(minX), abs(maxX)) + 1e-30)
            vertices = [minX - margin, maxX + margin]
            var ranges = [(0, xs.count - 1)]
            split = [nil]; lowChild = [-1]; highChild = [-1]; lowVertex = [0]; highVertex = [1]
            var p = 0
            while p < ranges.count {
                let (l, u) = ranges[p]
                defer { p += 1 }
                if u - l + 1 <= leafSize { continue }
                var m = (l + u) / 2
                // Move the cut to the nearest position (alternating up, down) between two different values.
                var offset = 0
                while m + offset < u && m + offset >= l {
                    if xs[m + offset] == xs[m + offset + 1] {
                        offset = -offset
                        if offset >= 0 { offset += 1 }
                    } else {
                        m += offset
                        break
                    }
                }
                let value = xs[m]
                if vertices[lowVertex[p]] == value || vertices[highVertex[p]] == value { continue }
                let vertex: Int
                if let existing = vertices.firstIndex(of: value) {
                    vertex = existing
                } else {
                    vertices.append(value); vertex = vertices.count - 1
                }
                split[p] = value
                lowChild[p] = ranges.count
                ranges.append((l, m)); split.append(nil); lowChild.append(-1); highChild.append(-1)
                lowVertex.append(lowVertex[p]); highVertex.append(vertex)
                highChild[p] = ranges.count
                ranges.append((m + 1, u)); split.append(nil); lowChild.append(-1); highChild.append(-1)
                lowVertex.append(vertex); highVertex.append(highVertex[p])
            }
        }

        /// Vertex indices bounding the leaf that holds `x` (a point on a split goes to the lower cell).
        func cell(containing x: Double) -> (Int, Int) {
            var p = 0
            while let s = split[p] { p = x <= s ? lowChild[p] : highChild[p] }
            return (lowVertex[p], highVertex[p])
        }
    }
}
