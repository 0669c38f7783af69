import Dispatch
import Lexicell
import LexicellCells

/// Timing of the baseline's stages, for `lexicell bench`.
public enum ExpressionBaselineBenchmark {
    public struct Result: Sendable, CustomStringConvertible {
        public var cells: Int
        public var genes: Int
        /// Best-of-`repeats` seconds per stage.
        public var normalizeSeconds: Double
        public var hvgSeconds: Double
        public var scaleSeconds: Double
        public var pcaSeconds: Double
        public var totalSeconds: Double { normalizeSeconds + hvgSeconds + scaleSeconds + pcaSeconds }

        public var description: String {
            String(
                format: "expression baseline on %d cells × %d genes: normalise+log1p %.3f s, HVG %.3f s, scale %.3f s, PCA %.3f s, total %.3f s",
                cells, genes, normalizeSeconds, hvgSeconds, scaleSeconds, pcaSeconds, totalSeconds)
        }
    }

    /// Runs normalise + log1p, HVG, scale and PCA on `train` `repeats` times and keeps each stage's best time.
    public static func run(
        train: ExpressionMatrix,
        configuration: ExpressionBaselineConfiguration = ExpressionBaselineConfiguration(),
        repeats: Int = 3
    ) throws -> Result {
        var best = [Double](repeating: .infinity, count: 4)
        let scale = try configuration.inputScale ?? InputScale.detect(train.values).scale
        let isCounts = scale == .counts
        for _ in 0..<max(1, repeats) {
            var clock = DispatchTime.now().uptimeNanoseconds
            func lap(_ i: Int) {
                let now = DispatchTime.now().uptimeNanoseconds
                best[i] = min(best[i], Double(now - clock) / 1e9)
                clock = now
            }
            let logNormalized = try ExpressionBaseline.logNormalize(train.values, scale: scale, targetSum: configuration.targetSum)
            lap(0)
            let genes =
                isCounts && configuration.flavor != .dispersion
                ? try ExpressionPreprocessing.highlyVariableGenesSeuratV3(counts: train.values, nTopGenes: configuration.nTopGenes)
                : try ExpressionPreprocessing.highlyVariableGenesDispersion(logNormalized: logNormalized, nTopGenes: configuration.nTopGenes)
            lap(1)
            let dense = ExpressionPreprocessing.denseColumns(logNormalized, columns: genes.sorted())
            let scaled = ExpressionScaler.fit(dense, maxValue: configuration.maxValue).apply(dense)
            lap(2)
            _ = try ExpressionPCA.fit(scaled, components: configuration.components)
            lap(3)
        }
        return Result(
            cells: train.cellCount, genes: train.geneCount, normalizeSeconds: best[0], hvgSeconds: best[1],
            scaleSeconds: best[2], pcaSeconds: best[3])
    }
}
