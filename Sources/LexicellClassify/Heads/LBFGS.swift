import Foundation

/// Limited-memory BFGS (Nocedal & Wright, Alg. 7.4–7.5) with a line search satisfying the strong Wolfe
/// conditions (Alg. 3.5–3.6, cubic interpolation). Parameters and the objective are Double; the objective may
/// compute in Float32 internally (then its value carries rounding noise, which the stopping rules tolerate).
public struct LBFGS: Sendable {
    public var memory = 10
    public var maxIterations = 500
    /// Stop when max |gradient component| ≤ this (scipy's `gtol`).
    public var gradientTolerance = 1e-6
    /// Stop when |f_k − f_{k+1}| / max(|f_k|, |f_{k+1}|, 1) ≤ this (scipy's `ftol`, there on the decrease).
    public var relativeDecreaseTolerance = 64 * Double.ulpOfOne
    /// Objective evaluations allowed per line search.
    public var maxLineSearchSteps = 50
    public var sufficientDecrease = 1e-4
    public var curvature = 0.9
    /// Hager & Zhang's approximate Wolfe test: a step whose value is within this relative amount of f(x) is
    /// judged by its slope alone, so rounding noise in f (Float32 products) does not stall the search.
    public var approximateWolfeTolerance = 1e-6

    public init() {}

    public enum Stop: String, Codable, Sendable {
        case gradient, relativeDecrease, maxIterations, lineSearch
    }

    public struct Result: Sendable {
        public var x: [Double]
        public var value: Double
        public var gradientMax: Double
        public var iterations: Int
        public var evaluations: Int
        public var stop: Stop
        /// Stopped by the gradient or the relative-decrease test.
        public var converged: Bool { stop == .gradient || stop == .relativeDecrease }
    }

    /// Minimises `objective`, which returns f(x) and writes ∇f(x) into its second argument. `gradientTest`, if
    /// given, replaces the max-|gradient| test (stop when it returns true for the current gradient).
    public func minimize(
        from start: [Double], gradientTest: (([Double]) -> Bool)? = nil,
        _ objective: ([Double], inout [Double]) -> Double
    ) -> Result {
        let small = gradientTest ?? { HeadsVector.maxAbs($0) <= gradientTolerance }
        let n = start.count
        var x = start
        var g = [Double](repeating: 0, count: n)
        var f = objective(x, &g)
        var evaluations = 1
        var s = [[Double]](), y = [[Double]](), rho = [Double]()
        var d = [Double](repeating: 0, count: n)
        var alphaHistory = [Double](repeating: 0, count: memory)
        var iteration = 0
        var stop = Stop.maxIterations
        if small(g) {
            return Result(x: x, value: f, gradientMax: HeadsVector.maxAbs(g), iterations: 0, evaluations: 1, stop: .gradient)
        }
        while iteration < maxIterations {
            // Two-loop recursion: d = −H·g.
            for i in 0..<n { d[i] = -g[i] }
            let m = s.count
            for j in stride(from: m - 1, through: 0, by: -1) {
                let a = rho[j] * HeadsVector.dot(s[j], d)
                alphaHistory[j] = a
                HeadsVector.axpy(-a, y[j], &d)
            }
            if m > 0 {
                let gamma = HeadsVector.dot(s[m - 1], y[m - 1]) / HeadsVector.dot(y[m - 1], y[m - 1])
                for i in 0..<n { d[i] *= gamma }
            }
            for j in 0..<m {
                let b = rho[j] * HeadsVector.dot(y[j], d)
                HeadsVector.axpy(alphaHistory[j] - b, s[j], &d)
            }
            var slope = HeadsVector.dot(g, d)
            if !(slope < 0) {
                // Not a descent direction (can follow rounding noise): restart from steepest descent.
                s.removeAll(); y.removeAll(); rho.removeAll()
                for i in 0..<n { d[i] = -g[i] }
                slope = HeadsVector.dot(g, d)
            }
            // First step: unit length along −g scaled to ‖g‖ (no curvature known yet).
            let initial = s.isEmpty ? min(1, 1 / max(HeadsVector.norm(g), 1e-300)) : 1
            let step = lineSearch(x: x, f: f, g: g, d: d, slope: slope, initial: initial, objective)
            evaluations += step.evaluations
            guard let found = step.point else { stop = .lineSearch; break }
            iteration += 1
            var sNew = [Double](repeating: 0, count: n), yNew = [Double](repeating: 0, count: n)
            for i in 0..<n { sNew[i] = found.x[i] - x[i]; yNew[i] = found.g[i] - g[i] }
            let fOld = f
            x = found.x; g = found.g; f = found.f
            let sy = HeadsVector.dot(sNew, yNew)
            if sy > 1e-12 * HeadsVector.dot(yNew, yNew) {
                if s.count == memory { s.removeFirst(); y.removeFirst(); rho.removeFirst() }
                s.append(sNew); y.append(yNew); rho.append(1 / sy)
            }
            if small(g) { stop = .gradient; break }
            if abs(fOld - f) / max(abs(fOld), abs(f), 1) <= relativeDecreaseTolerance { stop = .relativeDecrease; break }
        }
        return Result(x: x, value: f, gradientMax: HeadsVector.maxAbs(g), iterations: iteration, evaluations: evaluations, stop: stop)
    }

    private struct Point { var x: [Double]; var f: Double; var g: [Double] }

    /// Strong-Wolfe line search along d from x. Returns nil when no acceptable step was found; a step with
    /// sufficient decrease but without the curvature condition is still taken when the budget runs out.
    private func lineSearch(
        x: [Double], f f0: Double, g g0: [Double], d: [Double], slope d0: Double, initial: Double,
        _ objective: ([Double], inout [Double]) -> Double
    ) -> (point: Point?, evaluations: Int) {
        let n = x.count
        var evaluations = 0
        func evaluate(_ alpha: Double) -> (Point, Double) {
            var xt = [Double](repeating: 0, count: n)
            for i in 0..<n { xt[i] = x[i] + alpha * d[i] }
            var gt = [Double](repeating: 0, count: n)
            let ft = objective(xt, &gt)
            evaluations += 1
            return (Point(x: xt, f: ft, g: gt), HeadsVector.dot(gt, d))
        }
        // Armijo, or (approximate Wolfe) f within noise of f0 and the slope's decrease implying it.
        let noise = approximateWolfeTolerance * abs(f0)
        func decreases(_ f: Double, _ alpha: Double, _ slope: Double) -> Bool {
            f <= f0 + sufficientDecrease * alpha * d0 || (f <= f0 + noise && slope <= (2 * sufficientDecrease - 1) * d0)
        }
        var best: Point? = nil
        func consider(_ p: Point, _ alpha: Double, _ slope: Double) {
            if p.f.isFinite, decreases(p.f, alpha, slope), p.f < (best?.f ?? .infinity) { best = p }
        }
        var aPrev = 0.0, fPrev = f0, dPrev = d0
        var alpha = initial
        var lo = 0.0, hi = 0.0, fLo = f0, dLo = d0, fHi = 0.0, dHi = 0.0
        var bracketed = false
        while evaluations < maxLineSearchSteps {
            let (p, dp) = evaluate(alpha)
            consider(p, alpha, dp)
            if !p.f.isFinite {
                // Overshot into overflow: shrink towards the last good step.
                alpha = aPrev + 0.1 * (alpha - aPrev)
                continue
            }
            if !decreases(p.f, alpha, dp) || (evaluations > 1 && p.f >= fPrev + noise) {
                lo = aPrev; fLo = fPrev; dLo = dPrev; hi = alpha; fHi = p.f; dHi = dp; bracketed = true; break
            }
            if abs(dp) <= -curvature * d0 { return (p, evaluations) }
            if dp >= 0 {
                lo = alpha; fLo = p.f; dLo = dp; hi = aPrev; fHi = fPrev; dHi = dPrev; bracketed = true; break
            }
            aPrev = alpha; fPrev = p.f; dPrev = dp
            alpha *= 2.5
        }
        if bracketed {
            while evaluations < maxLineSearchSteps {
                let width = hi - lo
                if abs(width) < 1e-16 * max(abs(lo), abs(hi), 1e-300) { break }
                var a = cubicMinimizer(lo, fLo, dLo, hi, fHi, dHi)
                // Safeguard: stay inside the bracket, away from its ends.
                let a0 = min(lo, hi), a1 = max(lo, hi), margin = 0.1 * (a1 - a0)
                if !a.isFinite || a < a0 + margin || a > a1 - margin { a = 0.5 * (lo + hi) }
                let (p, dp) = evaluate(a)
                consider(p, a, dp)
                if !p.f.isFinite || !decreases(p.f, a, dp) || p.f >= fLo + noise {
                    hi = a; fHi = p.f.isFinite ? p.f : .greatestFiniteMagnitude; dHi = dp
                } else {
                    if abs(dp) <= -curvature * d0 { return (p, evaluations) }
                    if dp * (hi - lo) >= 0 { hi = lo; fHi = fLo; dHi = dLo }
                    lo = a; fLo = p.f; dLo = dp
                }
            }
        }
        return (best, evaluations)
    }

    /// Minimiser of the cubic interpolating f and f' at a and b (Nocedal & Wright eq. 3.59).
    private func cubicMinimizer(_ a: Double, _ fa: Double, _ da: Double, _ b: Double, _ fb: Double, _ db: Double) -> Double {
        let d1 = da + db - 3 * (fa - fb) / (a - b)
        let disc = d1 * d1 - da * db
        guard disc >= 0 else { return .nan }
        let d2 = (b > a ? 1.0 : -1.0) * disc.squareRoot()
        return b - (b - a) * (db + d2 - d1) / (db - da + 2 * d2)
    }
}

/// Small Double-vector helpers for the heads (namespaced: the module is shared).
enum HeadsVector {
    @inline(__always) static func dot(_ a: [Double], _ b: [Double]) -> Double {
        var s = 0.0
        for i in a.indices { s += a[i] * b[i] }
        return s
    }

    @inline(__always) static func axpy(_ alpha: Double, _ x: [Double], _ y: inout [Double]) {
        for i in x.indices { y[i] += alpha * x[i] }
    }

    @inline(__always) static func norm(_ a: [Double]) -> Double { dot(a, a).squareRoot() }

    @inline(__always) static func maxAbs(_ a: [Double]) -> Double { a.reduce(0) { max($0, abs($1)) } }
}
