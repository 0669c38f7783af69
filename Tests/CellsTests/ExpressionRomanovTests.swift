import XCTest
import LexicellCore
@testable import LexicellCells

/// The baseline on the bundled Romanov 2017 counts against scanpy (fixture written by
/// scripts/baseline_compare_scanpy.py from the same training split: test cell when index % 5 == 0).
final class ExpressionRomanovTests: XCTestCase {
    static let split = ExpressionTestData.romanovSplit()
    static let train = ExpressionTestData.romanov.selectingCells(split.train)

    private func agreement(_ a: [String], _ b: [String]) -> Double {
        Double(Set(a).intersection(b).count) / Double(max(a.count, b.count))
    }

    func testSeuratV3GenesMatchScanpy() throws {
        let train = Self.train
        XCTAssertEqual(train.cellCount, ExpressionTestData.fixture.train_cells)
        let expected = ExpressionTestData.fixture.seurat_v3_genes
        for surface in [ExpressionLoess.Surface.interpolate, .direct] {
            let genes = try ExpressionPreprocessing.highlyVariableGenesSeuratV3(counts: train.values, nTopGenes: 2000, surface: surface)
                .map { train.genes[$0] }
            let share = agreement(genes, expected)
            print("seurat_v3 HVG agreement with scanpy (surface \(surface)): \(share) (\(Set(genes).intersection(expected).count)/2000); top-10 equal: \(Array(genes.prefix(10)) == Array(expected.prefix(10)))")
            XCTAssertGreaterThanOrEqual(share, 0.95)
        }
    }

    func testDispersionGenesMatchScanpy() throws {
        let train = Self.train
        let logged = ExpressionPreprocessing.log1p(ExpressionPreprocessing.normalizeTotal(train.values, targetSum: 1e4))
        let indices = try ExpressionPreprocessing.highlyVariableGenesDispersion(logNormalized: logged, nTopGenes: 2000)
        XCTAssertEqual(try ExpressionPreprocessing.highlyVariableGenes(logged, flavor: .auto, nTopGenes: 2000), indices)
        let genes = indices.map { train.genes[$0] }
        let expected = ExpressionTestData.fixture.seurat_dispersion_genes
        let share = agreement(genes, expected)
        print("dispersion HVG agreement with scanpy: \(share) (\(genes.count) vs \(expected.count) genes)")
        XCTAssertGreaterThanOrEqual(share, 0.95)
        // The same rule chosen automatically for already log-normalised input.
        let auto = try ExpressionBaseline.fit(ExpressionMatrix(values: logged, genes: train.genes, cells: train.cells),
                                              configuration: ExpressionBaselineConfiguration(components: 5))
        XCTAssertEqual(auto.flavorUsed, .dispersion)
        XCTAssertEqual(Set(auto.selectedGenes), Set(genes))
    }

    func testScaleAndPCAMatchScanpy() throws {
        let f = ExpressionTestData.fixture
        let baseline = try ExpressionBaseline.fit(Self.train)
        XCTAssertEqual(baseline.flavorUsed, .seuratV3)
        var position = [String: Int]()
        for (i, g) in Self.train.genes.enumerated() { position[g] = i }
        XCTAssertEqual(baseline.selectedGenes, f.seurat_v3_genes.sorted { position[$0]! < position[$1]! })
        for j in 0..<5 {
            XCTAssertEqual(Double(baseline.scaler.means[j]), f.scale_mean_first5[j], accuracy: 1e-5)
            XCTAssertEqual(Double(baseline.scaler.standardDeviations[j]), f.scale_sd_first5[j], accuracy: 1e-5)
        }
        let ratio = baseline.explainedVarianceRatio
        let maxDiff = zip(ratio, f.pca_explained_variance_ratio).map { abs(Double($0) - $1) }.max()!
        print("PCA explained variance ratio max |Swift − scanpy| over 30 components: \(maxDiff); PC1 \(ratio[0]) vs \(f.pca_explained_variance_ratio[0])")
        XCTAssertLessThan(maxDiff, 1e-3)
        // Loadings and projected test cells, same sign convention (svd_flip on the loadings).
        for g in 0..<5 { for j in 0..<3 {
            XCTAssertEqual(Double(baseline.pca.components[j, g]), f.pca_loadings_first5_genes_x_3[g][j], accuracy: 1e-3)
        } }
        let test = ExpressionTestData.romanov.selectingCells(Self.split.test.prefix(5))
        let scores = try baseline.transform(test)
        for c in 0..<5 { for j in 0..<3 {
            let expected = f.test_scores_first5_cells_x_3[c][j]
            XCTAssertEqual(Double(scores[c, j]), expected, accuracy: 1e-3 * max(1, abs(expected)))
        } }
    }

    /// Test cells (rows outside the training set) never influence the fitted genes, scaling or loadings.
    func testNoLeakageFromTestCells() throws {
        let all = ExpressionTestData.romanov
        let (trainRows, testRows) = Self.split
        let configuration = ExpressionBaselineConfiguration(nTopGenes: 1000, components: 10)
        let reference = try ExpressionBaseline.fitTransform(all, trainingCells: trainRows, configuration: configuration)

        // Variant 1: test cells' counts multiplied by 7. Variant 2: test cells replaced by random counts.
        let isTest = Set(testRows)
        var multiplied = all.values, randomised = all.values
        var rng = SeededGenerator(seed: 42)
        for r in 0..<all.cellCount where isTest.contains(r) {
            for k in all.values.indptr[r]..<all.values.indptr[r + 1] {
                multiplied.values[k] *= 7
                randomised.values[k] = Float(1 + Int(rng.nextUniform() * 50))
            }
        }
        for (variant, countsScaled) in [(multiplied, true), (randomised, false)] {
            let cells = ExpressionMatrix(values: variant, genes: all.genes, cells: all.cells)
            let refit = try ExpressionBaseline.fitTransform(cells, trainingCells: trainRows, configuration: configuration)
            XCTAssertEqual(refit.baseline.selectedGenes, reference.baseline.selectedGenes)
            XCTAssertEqual(refit.baseline.scaler, reference.baseline.scaler)
            XCTAssertEqual(refit.baseline.pca, reference.baseline.pca)
            XCTAssertEqual(refit.scores.selectingRows(trainRows), reference.scores.selectingRows(trainRows))
            let testScores = refit.scores.selectingRows(testRows), referenceTest = reference.scores.selectingRows(testRows)
            if countsScaled {
                // Scaling a cell's counts is undone by normalisation to 10,000 counts.
                for i in 0..<testScores.values.count { XCTAssertEqual(testScores.values[i], referenceTest.values[i], accuracy: 1e-3) }
            } else {
                // The test rows did change, so the equalities above are not vacuous.
                XCTAssertNotEqual(testScores, referenceTest)
            }
        }
        // Transforming a cell does not depend on which other cells are transformed with it.
        let alone = try reference.baseline.transform(all.selectingCells(testRows.prefix(3)))
        let together = reference.scores.selectingRows(testRows.prefix(3))
        for i in 0..<alone.values.count { XCTAssertEqual(alone.values[i], together.values[i], accuracy: 1e-4) }
    }

    func testBadInputsAreErrors() throws {
        let train = Self.train
        XCTAssertThrowsError(try ExpressionBaseline.fit(train.selectingCells([0])))
        // More components than the data have: as many as min(cells, HVGs) − 1 allows, as scanpy does.
        let wide = try ExpressionBaseline.fit(train, configuration: ExpressionBaselineConfiguration(components: 5000))
        XCTAssertEqual(wide.pca.components.rows, min(train.cellCount, wide.selectedGenes.count) - 1)
        var logged = train
        logged.values = ExpressionPreprocessing.log1p(train.values)
        XCTAssertThrowsError(try ExpressionBaseline.fit(logged, configuration: ExpressionBaselineConfiguration(flavor: .seuratV3)))
        let renamed = ExpressionMatrix(values: train.values, genes: train.genes.map { $0 + "_x" }, cells: train.cells)
        let baseline = try? ExpressionBaseline.fit(train, configuration: ExpressionBaselineConfiguration(nTopGenes: 500, components: 5))
        XCTAssertNotNil(baseline)
        XCTAssertThrowsError(try baseline?.transform(renamed))
    }
}
