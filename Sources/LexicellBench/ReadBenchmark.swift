import Foundation
import Lexicell

/// Timing of dataset reads, for `lexicell bench`.
public enum ReadBenchmark {
    public struct Result: Sendable {
        public var path: String
        public var cells: Int
        public var genes: Int
        public var nonZeros: Int
        /// Wall-clock seconds of each repeat.
        public var seconds: [Double]
        /// Process CPU seconds of each repeat (the readers are single-threaded, so this is the time on an
        /// idle machine even when the machine is busy).
        public var cpuSeconds: [Double]

        public var best: Double { seconds.min() ?? 0 }
        public var summary: String {
            String(
                format: "read %@: %d cells × %d genes, %d non-zeros; best of %d: %.3f s wall, %.3f s CPU",
                (path as NSString).lastPathComponent, cells, genes, nonZeros, seconds.count, best,
                cpuSeconds.min() ?? 0)
        }
    }

    /// Reads `path` (any format `DatasetReader.read` takes) `repeats` times.
    public static func run(path: String, repeats: Int = 3, h5adMatrix: H5ADMatrix = .x) throws -> Result {
        var seconds = [Double](), cpu = [Double]()
        var last: ExpressionMatrix?
        for _ in 0..<max(1, repeats) {
            let start = DispatchTime.now().uptimeNanoseconds
            let cpuStart = cpuNow()
            last = try DatasetReader.read(path: path, h5adMatrix: h5adMatrix).expression
            cpu.append(cpuNow() - cpuStart)
            seconds.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        return Result(
            path: path, cells: last!.cellCount, genes: last!.geneCount,
            nonZeros: last!.values.nonZeroCount, seconds: seconds, cpuSeconds: cpu)
    }

    private static func cpuNow() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
    }
}
