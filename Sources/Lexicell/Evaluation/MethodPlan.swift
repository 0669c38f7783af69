import Foundation
import LexicellCore
import LexicellGenes
import LexicellCells
import LexicellClassify

/// Builds the methods a benchmark (or `evaluate`) compares from short specs, sharing gene tables, cell
/// embeddings and fitted expression features.
///
/// A spec is a preset (`auto`, `paper`) or `base[/weighting][+supcon][:head]`:
/// - bases: `pca` (expression PCs), `hvg` (scaled highly variable genes), `allgenes` / `allgenes-fs` (all expressed
///   genes, sparse, LR head; `-fs`: CellTypist's top-300-per-class refit), `graph` (SNN/Leiden clusters on the
///   PCs), `text` (each model's gene texts), `random` (random gene vectors), `hybrid` / `hybrid-random` (PCs ⊕
///   knowledge, weight chosen by CV), `crossview` / `crossview-random` (expression ↔ knowledge alignment, needs
///   `+supcon`); `hybrid@W` fixes the knowledge weight;
/// - weighting (`text`, `random`): `/weighted`, `/genept-w`;
/// - `+supcon`: refined per split on training cells (`text`, `random`, `pca`, `hybrid*`, `crossview*`);
/// - head: `:knn` (default; `hvg` defaults to `:lr`), `:lr`, `:svm`, settings chosen by CV on training cells.
/// `paper` is `text+supcon` (top-20 mean, housekeeping view, SupCon, KNN); `auto` chooses among
/// `AutoCandidates` by CV on the training cells of each split.
public struct MethodPlan {
    public var specs: [String]
    /// Where `text` (and the knowledge block of hybrids) gets its gene vectors: each model, or a file.
    public var textSources: [GeneTableSource]
    /// The gene-text cell embedding; each spec's weighting replaces `weighting`.
    public var cellEmbedding = CellEmbeddingSettings()
    public var refinement = RefinementSettings()
    public var cachePath: String?
    /// The expression baseline (normalisation, HVGs, scaling, PCA; the input scale).
    public var expressionConfiguration = ExpressionBaselineConfiguration()
    public var randomDimension = GeneTableSource.defaultRandomDimension
    /// Settings of the selecting methods (heads, calibration, voting).
    public var selection = SelectionSettings()
    /// Filled by `methods`: the gene-text coverage of the first text embedding, and each source's model identity.
    public private(set) var lastCoverage: GeneCoverage?
    public private(set) var modelIdentities = [String: String]()
    /// Filled by `methods`: the spec each returned method came from.
    public private(set) var methodSpecs = [String]()

    /// `text/genept-w` is left out of the default: it embeds every gene with a text (~16,000), not only top genes.
    public static let defaultSpecs = [
        "auto", "paper", "pca", "hvg:lr", "hvg:svm", "pca:svm", "graph", "text", "random",
        "random+supcon", "hybrid", "hybrid-random", "pca+supcon", "crossview+supcon",
        "text/weighted",
    ]

    public init(specs: [String] = MethodPlan.defaultSpecs, models: [String] = ["all-MiniLM-L6-v2"]) {
        self.init(specs: specs, textSources: models.map { .model($0) })
    }

    public init(specs: [String], textSources: [GeneTableSource]) {
        self.specs = specs
        self.textSources = textSources
    }

    /// The methods, in spec order (text methods once per model). `timings` receives seconds per stage.
    public mutating func methods(
        dataset: LabelledDataset, knowledge: GeneKnowledge, log: (String) -> Void,
        timings: inout [String: Double]
    ) throws -> [EvaluationMethod] {
        let parsed = try specs.map(MethodSpec.parse)
        methodSpecs = []
        var tables = [String: GeneEmbeddingTable]()
        var embeddings = [String: TextCellEmbeddings]()
        var out = [EvaluationMethod]()
        let features = ExpressionFeatures(expression: dataset.expression, configuration: expressionConfiguration)
        let pca = ExpressionRepresentation(name: "expression PCA", kind: .pcs, features: features)
        let hvg = ExpressionRepresentation(name: "scaled HVG expression", kind: .scaledGenes, features: features)
        let allGenes = AllGenesRepresentation.pair(expression: dataset.expression, display: features)

        var neededByWeighting = [CellWeighting: [String]]()
        func stage(_ weighting: CellWeighting) -> TextEmbeddingStage {
            var settings = cellEmbedding
            settings.weighting = weighting
            return TextEmbeddingStage(knowledge: knowledge, settings: settings, cachePath: cachePath)
        }
        let topN = cellEmbedding.topN
        func table(_ source: GeneTableSource, key: String, weighting: CellWeighting, dimension: Int) throws -> GeneEmbeddingTable {
            if let t = tables[key] { return t }
            let t0 = Date()
            // The same genes serve every source of one weighting (a model and its random control).
            let needed = neededByWeighting[weighting] ?? stage(weighting).neededSymbols(dataset.expression)
            if neededByWeighting[weighting] == nil {
                neededByWeighting[weighting] = needed
                log("genes needed (in some cell's top \(topN), with a text): \(needed.count)")
            }
            let t = try stage(weighting).geneTable(source, symbols: needed, defaultDimension: dimension, log: log)
            timings["gene vectors: \(key)", default: 0] += Date().timeIntervalSince(t0)
            tables[key] = t
            return t
        }
        func cells(_ t: GeneEmbeddingTable, key: String, weighting: CellWeighting) -> TextCellEmbeddings {
            let k = key + "/" + weighting.rawValue
            if let e = embeddings[k] { return e }
            let t0 = Date()
            let e = stage(weighting).cellEmbeddings(dataset.expression, labels: dataset.labelNames, table: t)
            timings["cell embeddings: \(k)", default: 0] += Date().timeIntervalSince(t0)
            embeddings[k] = e
            return e
        }
        defer {
            let firstText = textSources.first.flatMap { embeddings["text:" + $0.label + "/mean"] } ?? embeddings.values.first
            lastCoverage = firstText?.coverage
            for (k, t) in tables { modelIdentities[k.hasPrefix("text:") ? String(k.dropFirst(5)) : k] = t.modelIdentity }
        }
        // A source's table covers every gene with a text when one of its specs is genept-w, else top genes only.
        func tableWeighting(_ base: String) -> CellWeighting {
            parsed.contains { $0.base == base && $0.weighting == .genePTw } ? .genePTw : .mean
        }
        var firstDimension = randomDimension
        /// The knowledge embeddings a spec uses: (display name, embeddings), once per model for text.
        func knowledgeEmbeddings(random: Bool, weighting: CellWeighting) throws -> [(String, TextCellEmbeddings)] {
            if random {
                let t = try table(.random(dimension: nil, seed: 0), key: "random", weighting: tableWeighting("random"), dimension: firstDimension)
                return [("random", cells(t, key: "random", weighting: weighting))]
            }
            return try textSources.map { source in
                let t = try table(source, key: "text:" + source.label, weighting: tableWeighting("text"), dimension: randomDimension)
                firstDimension = t.dimension
                return (source.label, cells(t, key: "text:" + source.label, weighting: weighting))
            }
        }
        func selected(_ name: String, _ candidates: [MethodCandidate]) -> SelectedMethod {
            selection.method(name: name, candidates: candidates)
        }
        func withHead(_ rep: CellRepresentation, _ p: MethodSpec) -> EvaluationMethod {
            p.head == .knn ? KNNMethod(rep) : selected(rep.name + " + " + p.head.label, [MethodCandidate(rep, p.head)])
        }
        // Text methods first resolve the model's dimension for the random control.
        for p in parsed where ["text", "hybrid", "crossview", "auto", "auto-allgenes", "paper"].contains(p.base) {
            _ = try knowledgeEmbeddings(random: false, weighting: p.weighting)
            break
        }
        for (index, p) in parsed.enumerated() {
            defer { while methodSpecs.count < out.count { methodSpecs.append(specs[index]) } }
            switch p.base {
            case "pca":
                if p.refine {
                    out.append(
                        withHead(
                            SupConRepresentation(
                                source: ExpressionDropoutViews(name: "expression PCA", features: features),
                                settings: refinement), p))
                } else {
                    out.append(withHead(pca, p))
                }
            case "hvg": out.append(withHead(hvg, p))
            case "allgenes": out.append(withHead(allGenes.plain, p))
            case "allgenes-fs": out.append(withHead(allGenes.selected, p))
            case "graph": out.append(GraphClusterMethod(pca))
            case "text", "random":
                for (label, e) in try knowledgeEmbeddings(random: p.base == "random", weighting: p.weighting) {
                    let name = "\(label) top-\(topN) \(p.weighting.rawValue)"
                    let rep: CellRepresentation =
                        p.refine
                        ? RefinedRepresentation(
                            name: name + " + SupCon", view1: e.allGenes, view2: e.withoutHousekeeping,
                            modelIdentity: e.modelIdentity, settings: refinement)
                        : FixedRepresentation(name: name, matrix: e.allGenes)
                    out.append(withHead(rep, p))
                }
            case "paper":
                for (label, e) in try knowledgeEmbeddings(random: false, weighting: .mean) {
                    out.append(
                        KNNMethod(
                            RefinedRepresentation(
                                name: "paper: \(label) top-\(topN) mean + SupCon", view1: e.allGenes,
                                view2: e.withoutHousekeeping, modelIdentity: e.modelIdentity,
                                settings: refinement)))
                }
            case "hybrid", "hybrid-random":
                for (label, e) in try knowledgeEmbeddings(random: p.base == "hybrid-random", weighting: .mean) {
                    if p.refine {
                        let w = p.weight ?? 1
                        let views = HybridViews(
                            name: "hybrid PCA ⊕ \(w)·\(label)", expression: ExpressionDropoutViews(name: "expression PCA", features: features),
                            text: TextViews(name: label, embeddings: e), weight: w)
                        out.append(withHead(SupConRepresentation(source: views, settings: refinement), p))
                    } else if let w = p.weight {
                        out.append(withHead(HybridRepresentation(name: "hybrid PCA ⊕ \(w)·\(label)", features: features, knowledge: e.allGenes, weight: w), p))
                    } else {
                        let reps = Self.hybridWeights.map {
                            HybridRepresentation(name: "hybrid PCA ⊕ \($0)·\(label)", features: features, knowledge: e.allGenes, weight: $0)
                        }
                        out.append(selected("hybrid PCA ⊕ \(label) (weight by CV) + \(p.head.label)", reps.map { MethodCandidate($0, p.head) }))
                    }
                }
            case "crossview", "crossview-random":
                for (label, e) in try knowledgeEmbeddings(random: p.base == "crossview-random", weighting: .mean) {
                    let views = CrossViews(name: "cross-view PCA ↔ \(label)", features: features, text: TextViews(name: label, embeddings: e))
                    out.append(withHead(SupConRepresentation(source: views, settings: refinement), p))
                }
            default:  // auto
                let (label, e) = try knowledgeEmbeddings(random: false, weighting: .mean)[0]
                // auto-allgenes: auto with the two all-genes candidates too (measured in README, Results; not the default).
                let withAllGenes = p.base == "auto-allgenes"
                var auto = selected(
                    withAllGenes ? "auto + all-genes candidates" : "auto",
                    Self.autoCandidates(
                        pca: pca, hvg: hvg, text: FixedRepresentation(name: "\(label) top-\(topN) mean", matrix: e.allGenes),
                        features: features, allGenes: withAllGenes ? allGenes : nil))
                auto.preferred = 0
                out.append(auto)
            }
        }
        return out
    }

    /// Weights of the knowledge block tried by `hybrid` (chosen by CV on training cells).
    public static let hybridWeights: [Float] = [0.25, 0.5, 1, 2]

    /// What `auto` chooses among: scaled genes + LR first (the preferred default, kept unless beaten by more
    /// than the margin), then expression PCs + KNN or LR, scaled genes + SVM, the paper's unrefined text
    /// embedding + KNN, hybrids + KNN. SupCon candidates are left out (they would be trained once per fold;
    /// compare them in the benchmark instead).
    public static func autoCandidates(
        pca: CellRepresentation, hvg: CellRepresentation, text: CellRepresentation,
        features: ExpressionFeatures, hybrids: Bool = true,
        allGenes: (plain: AllGenesRepresentation, selected: AllGenesRepresentation)? = nil
    ) -> [MethodCandidate] {
        var c = [
            MethodCandidate(hvg, .logistic), MethodCandidate(pca, .knn), MethodCandidate(pca, .logistic),
            MethodCandidate(hvg, .svm), MethodCandidate(text, .knn),
        ]
        if let a = allGenes { c += [MethodCandidate(a.plain, .logistic), MethodCandidate(a.selected, .logistic)] }
        if hybrids, let t = text as? FixedRepresentation {
            for w: Float in [0.5, 1] {
                c.append(
                    MethodCandidate(
                        HybridRepresentation(
                            name: "hybrid PCA ⊕ \(w)·\(t.name)", features: features,
                            knowledge: t.matrix, weight: w), .knn))
            }
        }
        return c
    }
}

/// Settings shared by the selecting methods of a run.
public struct SelectionSettings: Sendable {
    public var grids = HeadGrids()
    public var folds = 5
    public var calibration = CalibrationKind.auto
    public var minConfidence = 0.0
    public var overClusterVoting = false
    public var classWeight = ClassWeighting.none
    /// The training cells each selection cross-validates on (`--selection-cells`).
    public var selectionSample = SelectionSample()
    /// Repetitions of that cross-validation on small selections (`--cv-repeats`; `SelectedMethod.cvRepeats`).
    public var cvRepeats = SelectedMethod.defaultCVRepeats
    public init() {}

    public func method(name: String, candidates: [MethodCandidate]) -> SelectedMethod {
        var m = SelectedMethod(name: name, candidates: candidates)
        m.grids = grids
        m.folds = folds
        m.cvRepeats = cvRepeats
        m.calibration = calibration
        m.minConfidence = minConfidence
        m.overClusterVoting = overClusterVoting
        m.classWeight = classWeight
        m.selectionSample = selectionSample
        return m
    }
}

/// One `--method` spec, parsed.
public struct MethodSpec: Sendable, Equatable {
    public var base: String
    public var weighting: CellWeighting
    public var refine: Bool
    public var head: HeadKind
    public var explicitHead: Bool
    /// `hybrid@W`: a fixed knowledge weight instead of one chosen by CV.
    public var weight: Float? = nil

    public static let bases = [
        "pca", "hvg", "graph", "text", "random", "hybrid", "hybrid-random", "crossview", "crossview-random",
        "auto", "paper", "allgenes", "allgenes-fs", "auto-allgenes",
    ]

    /// Parses `auto`, `paper` or `base[/weighting][+supcon][:head]`; errors say what was expected.
    public static func parse(_ spec: String) throws -> MethodSpec {
        var s = spec.trimmingCharacters(in: .whitespaces)
        var head = HeadKind.knn, explicitHead = false
        if let colon = s.lastIndex(of: ":") {
            let h = String(s[s.index(after: colon)...])
            guard let k = HeadKind(rawValue: h) else {
                throw LexicellError("unknown head in method '\(spec)': expected :knn, :lr or :svm")
            }
            head = k; explicitHead = true
            s = String(s[..<colon])
        }
        var refine = false
        if s.hasSuffix("+supcon") { refine = true; s.removeLast("+supcon".count) }
        var weight: Float?
        if let at = s.firstIndex(of: "@") {
            guard s.hasPrefix("hybrid"), let w = Float(s[s.index(after: at)...]), w >= 0, w.isFinite else {
                throw LexicellError("'\(spec)': @ gives a hybrid's knowledge weight, e.g. hybrid@0.5")
            }
            weight = w
            s = String(s[..<at])
        }
        let parts = s.split(separator: "/", maxSplits: 1).map(String.init)
        guard let base = parts.first, bases.contains(base) else {
            throw LexicellError(
                "unknown method '\(spec)': expected auto, auto-allgenes, paper, or one of pca, hvg, allgenes, allgenes-fs, graph, text, random, hybrid, hybrid-random, crossview, crossview-random, optionally /weighted or /genept-w, +supcon and :knn/:lr/:svm"
            )
        }
        if (base == "hvg" || base.hasPrefix("allgenes")) && !explicitHead { head = .logistic }
        var weighting = CellWeighting.mean
        if parts.count == 2 {
            guard let w = CellWeighting(rawValue: parts[1]), base == "text" || base == "random" else {
                throw LexicellError("unknown weighting in '\(spec)': expected text/weighted, text/genept-w, random/weighted or random/genept-w")
            }
            weighting = w
        }
        if refine && ["graph", "hvg", "auto", "paper", "allgenes", "allgenes-fs", "auto-allgenes"].contains(base) {
            throw LexicellError("'\(spec)': +supcon applies to pca, text, random, hybrid and crossview; not to \(base)")
        }
        if base.hasPrefix("crossview") && !refine {
            throw LexicellError("'\(spec)': crossview is a SupCon alignment; write \(base)+supcon")
        }
        if explicitHead && ["graph", "auto", "auto-allgenes", "paper"].contains(base) {
            throw LexicellError("'\(spec)': \(base) takes no head")
        }
        return MethodSpec(base: base, weighting: weighting, refine: refine, head: head, explicitHead: explicitHead, weight: weight)
    }
}
