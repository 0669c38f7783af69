import XCTest
@testable import Lexicell

/// Representations beyond the paper (expression features, hybrids, refined views), heads chosen on training
/// cells, and `auto`: on the real Romanov GABA subtypes (6 classes, 128 cells) so debug builds stay quick.
final class SelectionTests: XCTestCase {
    func gaba6() throws -> (LabelledDataset, TextCellEmbeddings) { try GABA6Fixture.load() }
    func autoMethod(_ d: LabelledDataset, _ cells: TextCellEmbeddings) -> SelectedMethod { GABA6Fixture.autoMethod(d, cells) }

    /// Every choice is made on training cells: replacing the test cells' expression with other cells' data and
    /// their knowledge vectors with noise changes no cross-validation score and no choice. (Test labels reach
    /// only the final scores: `crossValidate` is given training cells and labels alone.)
    func testAutoChoosesOnTrainingCellsOnly() throws {
        let (d, cells) = try gaba6()
        let (da, db) = try GABA6Fixture.leakageProbe(d, cells, seed: 4, stride: 7, noiseSeed: 9)
        XCTAssertEqual(da.chosen, db.chosen)
        XCTAssertEqual(da.candidateScores.map(\.criterion), db.candidateScores.map(\.criterion))
        // hvg: LR (2 C) + SVM (2); pca: KNN (6 k) + LR (2); text KNN (6); two hybrids × KNN (12); ensembles of the best 2 and 3.
        XCTAssertEqual(da.candidateScores.count, 32)
        XCTAssertEqual(da.candidateScores.filter { $0.candidate.hasPrefix("ensemble: ") }.count, 2)
        // The choice: the preferred candidate (scaled genes + LR, first) unless something beats its best setting by
        // more than the margin, in which case the best entry; an ensemble only when better than every single one.
        let margin = autoMethod(d, cells).preferenceMargin
        let preferredBest = da.candidateScores.filter { $0.candidate.hasPrefix("scaled HVG expression + LR (") }.map(\.criterion).max()!
        let best = da.candidateScores.map(\.criterion).max()!
        let chosenScore = try XCTUnwrap(da.candidateScores.first { $0.candidate == da.chosen }).criterion
        if best - preferredBest <= margin {
            XCTAssertTrue(da.chosen.hasPrefix("scaled HVG expression + LR ("), da.chosen)
            XCTAssertEqual(chosenScore, preferredBest)
        } else {
            XCTAssertEqual(chosenScore, best)
        }
        XCTAssertGreaterThan(da.candidateScores.map(\.accuracy).max()!, 0.3)
        XCTAssertTrue(da.candidateScores.allSatisfy { $0.criterion == ($0.accuracy + $0.macroF1) / 2 })
        // The test cells' own outputs do change (they are classified from their new data).
        XCTAssertNotEqual(da.probability, db.probability)
    }

    /// One candidate with one setting is exactly a logistic regression on standardised features of the split.
    func testSingleLinearHeadEqualsDirectFit() throws {
        let (d, _) = try gaba6()
        let features = ExpressionFeatures(expression: d.expression)
        let hvg = ExpressionRepresentation(name: "hvg", kind: .scaledGenes, features: features)
        var m = SelectedMethod(name: "hvg + LR", candidates: [MethodCandidate(hvg, .logistic)])
        m.grids.logisticC = [0.05]
        m.calibration = .none
        let r = try m.evaluate(labels: d.labels, classNames: d.classNames, seed: 2, protocol: EvaluationProtocol()).result

        let (train, test) = StratifiedSplit.trainTest(labels: d.labels, testFraction: 0.2, seed: 2)
        let base = try ExpressionBaseline.fit(d.expression.selectingCells(train))
        let xt = try base.scaledFeatures(d.expression.selectingCells(train)), xq = try base.scaledFeatures(d.expression.selectingCells(test))
        let st = FeatureStandardizer(fitting: xt)
        let lr = try LogisticRegression.fit(
            st.apply(xt), labels: train.map { d.labels[$0] }, classCount: d.classNames.count,
            options: .init(c: 0.05, maxIterations: 300, tolerance: 1e-4))
        XCTAssertEqual(r.predicted, lr.predict(st.apply(xq)))
        XCTAssertEqual(r.details?.chosen, "hvg + LR (C = 0.05)")
        // Without calibration the reported probability is the softmax of the head: rows of the raw scores.
        let p = lr.probabilities(st.apply(xq))
        for (i, c) in r.predicted.enumerated() { XCTAssertEqual(r.details!.probability[i], Double(p[i, c]), accuracy: 1e-5) }
        // Feature reading names real selected genes.
        let top = try XCTUnwrap(r.details?.topGenes)
        XCTAssertEqual(top.count, 6)
        XCTAssertTrue(top.allSatisfy { $0.count == 10 && $0.allSatisfy(base.selectedGenes.contains) })
    }

    /// Weights on PCs mapped back through the loadings give the same decision values on the scaled genes
    /// (up to the constant from centring): (x − μ)·(Cᵀw) = PCs·w.
    func testPCWeightsMapBackToGenes() throws {
        let (d, _) = try gaba6()
        let features = ExpressionFeatures(expression: d.expression)
        let pca = ExpressionRepresentation(name: "pca", kind: .pcs, features: features)
        let (train, test) = StratifiedSplit.trainTest(labels: d.labels, testFraction: 0.2, seed: 1)
        let f = try features.fitted(train: train, test: test)
        var rng = SeededGenerator(seed: 5)
        let w = (0..<f.pcsTrain.cols).map { _ in Float(rng.nextGaussian()) }
        let (genes, gw) = try pca.geneWeights(w, train: train, test: test)
        XCTAssertEqual(genes, f.baseline.selectedGenes)
        for r in [0, 7, f.pcsTest.rows - 1] {
            var viaPCs: Double = 0, viaGenes: Double = 0
            for k in 0..<w.count { viaPCs += Double(f.pcsTest[r, k]) * Double(w[k]) }
            for g in 0..<gw.count { viaGenes += Double(f.scaledTest[r, g] - f.baseline.pca.featureMeans[g]) * Double(gw[g]) }
            XCTAssertEqual(viaGenes, viaPCs, accuracy: 1e-3 * max(1, abs(viaPCs)))
        }
    }

    /// Hybrid rows: the expression block has unit norm and the knowledge block norm `weight` (cells with a text).
    func testHybridBlocksAreNormalisedAndWeighted() throws {
        let (d, cells) = try gaba6()
        let features = ExpressionFeatures(expression: d.expression)
        let h = HybridRepresentation(name: "h", features: features, knowledge: cells.allGenes, weight: 0.5)
        let (train, test) = StratifiedSplit.trainTest(labels: d.labels, testFraction: 0.2, seed: 0)
        let (x, _) = try h.vectors(train: train, trainLabels: train.map { d.labels[$0] }, test: test, seed: 0)
        let p = features.configuration.components
        XCTAssertEqual(x.cols, p + cells.allGenes.cols)
        for r in 0..<x.rows {
            let row = Array(x.row(r))
            let a = row[0..<p].map { Double($0 * $0) }.reduce(0, +).squareRoot()
            let b = row[p...].map { Double($0 * $0) }.reduce(0, +).squareRoot()
            XCTAssertEqual(a, 1, accuracy: 1e-5)
            XCTAssertEqual(b, 0.5, accuracy: 1e-5)
        }
    }

    /// Gene dropout zeroes about the requested share of detected entries, reproducibly per seed.
    func testExpressionDropoutView() throws {
        let (d, _) = try gaba6()
        let a = ExpressionDropoutViews.dropGenes(d.expression, fraction: 0.2, seed: 1)
        let b = ExpressionDropoutViews.dropGenes(d.expression, fraction: 0.2, seed: 1)
        XCTAssertEqual(a, b)
        let n = d.expression.values.values.filter { $0 != 0 }.count
        let kept = a.values.values.filter { $0 != 0 }.count
        let dropped = Double(n - kept) / Double(n)
        // Binomial: s.d. of the share is √(0.2·0.8/n) ≈ 0.001 for n ≈ 1.5e5; allow 5 s.d.
        XCTAssertEqual(dropped, 0.2, accuracy: 5 * (0.16 / Double(n)).squareRoot())
        XCTAssertEqual(ExpressionDropoutViews.dropGenes(d.expression, fraction: 0, seed: 1), d.expression)
    }

    /// SupCon on expression views trains on training cells only and returns refined, unit-norm vectors.
    func testExpressionSupConIgnoresTestCells() throws {
        let (d, cells) = try gaba6()
        var settings = RefinementSettings()
        settings.maxEpochs = 4
        settings.hiddenDim = 32
        settings.embeddingDim = 8
        let (train, test) = StratifiedSplit.trainTest(labels: d.labels, testFraction: 0.2, seed: 0)
        func run(_ e: ExpressionMatrix) throws -> (train: DenseMatrix, test: DenseMatrix) {
            let f = ExpressionFeatures(expression: e)
            let views = HybridViews(
                name: "h", expression: ExpressionDropoutViews(name: "pca", features: f),
                text: TextViews(name: "random", embeddings: cells), weight: 1)
            return try SupConRepresentation(source: views, settings: settings)
                .vectors(train: train, trainLabels: train.map { d.labels[$0] }, test: test, seed: 0)
        }
        let a = try run(d.expression)
        var rows = Array(0..<d.labels.count)
        for (i, t) in test.enumerated() { rows[t] = train[i % train.count] }
        let other = d.expression.selectingCells(rows)
        let b = try run(ExpressionMatrix(values: other.values, genes: d.expression.genes, cells: d.expression.cells))
        XCTAssertEqual(a.train, b.train)
        XCTAssertNotEqual(a.test, b.test)
        XCTAssertEqual(a.train.cols, 8)
        for r in 0..<a.test.rows {
            XCTAssertEqual(a.test.row(r).map { Double($0 * $0) }.reduce(0, +), 1, accuracy: 1e-4)
        }
    }

    /// `train --method auto` stores an expression classifier that survives the disk and labels cells as in memory.
    func testAutoReferenceBundleRoundTrips() throws {
        let (d, _) = try gaba6()
        let k = try GeneKnowledge.load(species: .mouse)
        var selection = SelectionSettings()
        selection.grids.logisticC = [0.1]
        selection.grids.svmC = [0.001]
        let bundle = try ReferenceTrainer().trainAuto(d, knowledge: k, source: .random(dimension: 64, seed: 0), selection: selection, log: { _ in })
        // Random gene vectors lose to expression on these subtypes (README: 0.42 vs 0.57), so expression is stored.
        let c = try XCTUnwrap(bundle.classifier)
        XCTAssertEqual(bundle.manifest.formatVersion, 2)
        XCTAssertEqual(bundle.manifest.classifier, c.description)
        let dir = NSTemporaryDirectory() + "lexicell-auto-bundle-\(getpid())"
        try bundle.write(to: dir)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let loaded = try ReferenceBundle.load(from: dir)
        XCTAssertEqual(loaded.classifier?.description, c.description)
        var annotator = Annotator()
        annotator.minConfidence = 0
        let a = try annotator.annotate(d.expression, querySpecies: .mouse, with: bundle, knowledge: k, orthologs: nil, log: { _ in })
        let b = try annotator.annotate(d.expression, querySpecies: .mouse, with: loaded, knowledge: k, orthologs: nil, log: { _ in })
        XCTAssertEqual(a.labels, b.labels)
        XCTAssertEqual(a.confidence, b.confidence)
        // Resubstitution on the reference cells: far above chance (28/128 = 0.22).
        let correct = zip(a.labels, d.labelNames).filter { $0 == $1 }.count
        XCTAssertGreaterThan(Double(correct) / Double(d.labels.count), 0.7)
        XCTAssertTrue(a.confidence.allSatisfy { $0 >= 0 && $0 <= 1 })
        // A query without the classifier's genes is refused with the numbers.
        let few = ExpressionMatrix(values: d.expression.values, genes: d.expression.genes.map { $0 + "_x" }, cells: d.expression.cells)
        XCTAssertThrowsError(try annotator.annotate(few, querySpecies: .mouse, with: loaded, knowledge: k, orthologs: nil, log: { _ in })) {
            XCTAssertTrue("\($0)".contains("genes the reference classifier uses"), "\($0)")
        }
        // A damaged classifier.json fails its checksum.
        let path = dir + "/classifier.json"
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        bytes[bytes.count / 2] ^= 0x01
        try bytes.write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try ReferenceBundle.load(from: dir)) { XCTAssertTrue("\($0)".contains("classifier.json")) }
    }

    /// Temperature scaling finds the T of the labels' generating softmax, and no T on a fine grid does better.
    func testTemperatureScalingRecoversTheTemperature() {
        var rng = SeededGenerator(seed: 3)
        let n = 3000, k = 5, t0 = 2.5
        var z = DenseMatrix(rows: n, cols: k)
        var labels = [Int]()
        for r in 0..<n {
            for c in 0..<k { z[r, c] = Float(3 * rng.nextGaussian()) }
            let p = (0..<k).map { exp(Double(z[r, $0]) / t0) }
            var u = rng.nextUniform() * p.reduce(0, +), l = 0
            while u > p[l] && l < k - 1 { u -= p[l]; l += 1 }
            labels.append(l)
        }
        func loss(_ t: Double) -> Double {
            (0..<n).map { r in
                let e = (0..<k).map { exp(Double(z[r, $0]) / t) }
                return -log(e[labels[r]] / e.reduce(0, +))
            }.reduce(0, +) / Double(n)
        }
        let t = TemperatureScaling.fit(scores: z, labels: labels)
        XCTAssertEqual(t, t0, accuracy: 0.3)  // sampling error of the MLE with 3,000 cells
        let grid = stride(from: 0.5, through: 6.0, by: 0.01).map { loss($0) }.min()!
        XCTAssertLessThanOrEqual(loss(t), grid + 1e-9)
    }

    func testMethodSpecsParseOrSayWhatIsExpected() throws {
        XCTAssertEqual(try MethodSpec.parse("hvg").head, .logistic)
        XCTAssertEqual(try MethodSpec.parse("pca+supcon:svm").head, .svm)
        XCTAssertTrue(try MethodSpec.parse("pca+supcon:svm").refine)
        XCTAssertEqual(try MethodSpec.parse("text/weighted:lr").weighting, .weighted)
        XCTAssertEqual(try MethodSpec.parse("hybrid-random@0.5").weight, 0.5)
        XCTAssertNil(try MethodSpec.parse("hybrid").weight)
        for (bad, expected) in [
            ("pcaa", "unknown method 'pcaa'"), ("pca:tree", "unknown head"), ("hvg+supcon", "+supcon applies"),
            ("crossview", "crossview+supcon"), ("auto:lr", "takes no head"), ("pca/weighted", "unknown weighting"), ("pca@1", "hybrid's knowledge weight"),
        ] {
            XCTAssertThrowsError(try MethodSpec.parse(bad)) { e in
                XCTAssertTrue("\(e)".contains(expected), "\(bad): \(e)")
            }
        }
    }

    /// Above the cap, auto cross-validates on the capped subsample of the training cells — its scores are those of
    /// a selection run on exactly those cells — and says so; small caps keep the test quick (GABA-6: 6 classes of
    /// 13–28 cells; 12 per class and 60 in all give 10 per class).
    func testAutoSelectsOnTheCappedSubsample() throws {
        let (d, cells) = try gaba6()
        var m = autoMethod(d, cells)
        m.showsProgress = false
        m.selectionSample = SelectionSample(perClass: 12, total: 60)
        let (train, test) = StratifiedSplit.trainTest(labels: d.labels, testFraction: 0.2, seed: 3)
        let trainLabels = train.map { d.labels[$0] }
        let choice = try m.choose(train: train, trainLabels: trainLabels, classCount: 6, seed: 3)
        XCTAssertEqual(choice.trainCells, train.count)
        XCTAssertEqual(choice.perClassCap, 10)
        XCTAssertEqual(choice.selectionCells, 60)
        XCTAssertEqual(choice.sampleNote, "selected on 60 of \(train.count) training cells (≤ 10 per class)")
        // The same selection on the drawn cells alone, with no cap, gives the same scores and choice.
        let drawn = m.selectionSample.draw(labels: trainLabels, seed: 3 &+ 0x5E1E)
        let sample = drawn.positions.map { train[$0] }
        XCTAssertTrue(Set(sample).isDisjoint(with: test))
        var uncapped = m
        uncapped.selectionSample = .all
        let direct = try uncapped.choose(train: sample, trainLabels: sample.map { d.labels[$0] }, classCount: 6, seed: 3)
        XCTAssertNil(direct.sampleNote)
        XCTAssertEqual(direct.label, choice.label)
        XCTAssertEqual(direct.scores.map(\.candidate), choice.scores.map(\.candidate))
        XCTAssertEqual(direct.scores.map(\.accuracy), choice.scores.map(\.accuracy))
        // All training cells give other scores (the cap did change what was cross-validated).
        let full = try uncapped.choose(train: train, trainLabels: trainLabels, classCount: 6, seed: 3)
        XCTAssertNotEqual(full.scores.map(\.accuracy), choice.scores.map(\.accuracy))
        // evaluate reports it per split, and still fits and scores on every training and test cell.
        let r = try m.evaluate(labels: d.labels, classNames: d.classNames, seed: 3, protocol: EvaluationProtocol())
        XCTAssertEqual(r.result.details?.selectionNote, choice.sampleNote)
        XCTAssertEqual(r.result.trainCount, train.count)
        XCTAssertEqual(r.result.test, test)
    }

    /// train: selection on the subsample, then one refit of the chosen setting on every reference cell — the
    /// stored head is the one fitted directly on all cells with that setting.
    func testTrainRefitsTheChoiceOnAllCells() throws {
        let (d, _) = try gaba6()
        let k = try GeneKnowledge.load(species: .mouse)
        var selection = SelectionSettings()
        selection.grids.logisticC = [0.01, 1]
        selection.selectionSample = SelectionSample(perClass: 12, total: 60)
        var lines = [String]()
        let bundle = try ReferenceTrainer().trainAuto(
            d, knowledge: k, source: .random(dimension: 64, seed: 0), selection: selection,
            only: (.scaledGenes, .logistic), log: { lines.append($0) })
        XCTAssertTrue(lines.contains { $0.contains("selected on 60 of 128 training cells (≤ 10 per class); refitting the choice on all 128") }, "\(lines)")
        let c = try XCTUnwrap(bundle.classifier)
        XCTAssertEqual(bundle.manifest.cells, 128)
        XCTAssertTrue([0.01, 1].contains(c.setting))
        // The direct fit on all 128 cells with the chosen C.
        let baseline = try ExpressionBaseline.fit(d.expression)
        let x = try baseline.scaledFeatures(d.expression)
        let st = FeatureStandardizer(fitting: x)
        let model = try LogisticRegression.fit(
            st.apply(x), labels: d.labels, classCount: 6, options: .init(c: c.setting, maxIterations: 300, tolerance: 1e-4))
        XCTAssertEqual(c.weights, model.weights)
        XCTAssertEqual(c.intercept, model.intercept)
        XCTAssertEqual(bundle.embeddings.rows, 128)
    }

    /// Large selection fits of the SVM stop at liblinear's tolerance (0.1), refits and small fits at 1e-4: above
    /// `warmStartAboveCells` the selection's fits differ from tight ones yet predict the same query cells (≥ 98 %
    /// agreement per C, the accuracy of the ranking they feed); at or below it `selecting` changes nothing.
    func testLargeSVMSelectionFitsStopAtLiblinearTolerance() throws {
        var rng = SeededGenerator(seed: 11)
        // 6 overlapping Gaussian classes in 30 dimensions: the largest C needs many passes at 1e-4.
        func cells(_ n: Int) -> (DenseMatrix, [Int]) {
            let labels = (0..<n).map { $0 % 6 }
            let rows = labels.map { l in (0..<30).map { j in Float(rng.nextGaussian()) + (j % 6 == l ? 0.7 : 0) } }
            return (DenseMatrix(rowArrays: rows), labels)
        }
        let method = SelectedMethod(name: "svm", candidates: [])
        let cs = [0.001, 0.01, 0.1]
        let (query, _) = cells(600)
        let (large, largeLabels) = cells(SelectedMethod.warmStartAboveCells + 400)
        let loose = try method.fitScore(.svm, settings: cs, x: large, y: largeLabels, query: query, classCount: 6, selecting: true)
        let tight = try method.fitScore(.svm, settings: cs, x: large, y: largeLabels, query: query, classCount: 6)
        for i in cs.indices {
            let agree = zip(loose[i].predicted, tight[i].predicted).filter { $0 == $1 }.count
            XCTAssertGreaterThanOrEqual(Double(agree) / Double(query.rows), 0.98, "C = \(cs[i])")
        }
        XCTAssertNotEqual(loose.last!.weights!.values, tight.last!.weights!.values, "the looser tolerance was not applied")
        let small = DenseMatrix(rows: SelectedMethod.warmStartAboveCells, cols: 30, values: Array(large.values.prefix(SelectedMethod.warmStartAboveCells * 30)))
        let smallLabels = Array(largeLabels.prefix(SelectedMethod.warmStartAboveCells))
        let a = try method.fitScore(.svm, settings: cs, x: small, y: smallLabels, query: query, classCount: 6, selecting: true)
        let b = try method.fitScore(.svm, settings: cs, x: small, y: smallLabels, query: query, classCount: 6)
        XCTAssertEqual(a.map(\.scores.values), b.map(\.scores.values))
    }

    /// Repeated cross-validation: each candidate's score is the mean over repetitions, and repetition r is exactly the
    /// single cross-validation run from seed + r·0x9E37 (so one repetition is the unrepeated selection); above
    /// `repeatedCVMaxCells` cells it runs once.
    func testRepeatedCrossValidationAveragesShiftedSingleRuns() throws {
        let (d, _) = try gaba6()
        let features = ExpressionFeatures(expression: d.expression)
        let hvg = ExpressionRepresentation(name: "hvg", kind: .scaledGenes, features: features)
        let pca = ExpressionRepresentation(name: "pca", kind: .pcs, features: features)
        var m = SelectedMethod(name: "two", candidates: [MethodCandidate(hvg, .logistic), MethodCandidate(pca, .knn)])
        m.grids.logisticC = [0.01, 1]
        m.grids.knnK = [4, 8]
        m.folds = 3
        m.showsProgress = false
        let (train, _) = StratifiedSplit.trainTest(labels: d.labels, testFraction: 0.2, seed: 5)
        let y = train.map { d.labels[$0] }
        let once = try m.choose(train: train, trainLabels: y, classCount: 6, seed: 5)
        let shifted = try m.choose(train: train, trainLabels: y, classCount: 6, seed: 5 &+ 0x9E37)
        m.cvRepeats = 2
        let twice = try m.choose(train: train, trainLabels: y, classCount: 6, seed: 5)
        XCTAssertEqual(twice.scores.map(\.candidate), once.scores.map(\.candidate))
        for (t, (a, b)) in zip(twice.scores, zip(once.scores, shifted.scores)) where !t.candidate.hasPrefix("ensemble: ") {
            XCTAssertEqual(t.accuracy, (a.accuracy + b.accuracy) / 2, accuracy: 1e-12, t.candidate)
            XCTAssertEqual(t.macroF1, (a.macroF1 + b.macroF1) / 2, accuracy: 1e-12, t.candidate)
        }
        // The two runs' folds differ, so the mean is not either run's scores.
        XCTAssertNotEqual(once.scores.map(\.accuracy), shifted.scores.map(\.accuracy))
        let best = twice.scores.filter { !$0.candidate.hasPrefix("ensemble: ") }.map(\.criterion).max()!
        let chosen = try XCTUnwrap(twice.scores.first { $0.candidate == twice.label })
        XCTAssertGreaterThanOrEqual(chosen.criterion, best)
        XCTAssertEqual(SelectedMethod.cvRepetitions(cells: SelectedMethod.repeatedCVMaxCells, requested: 3), 3)
        XCTAssertEqual(SelectedMethod.cvRepetitions(cells: SelectedMethod.repeatedCVMaxCells + 1, requested: 3), 1)
    }
}
