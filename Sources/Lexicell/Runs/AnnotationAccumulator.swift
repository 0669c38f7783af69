import Foundation
import LexicellCore
import LexicellGenes
import LexicellIO
import LexicellReport

/// What an annotation keeps while its blocks stream past: per cell the call (label, best label, confidence,
/// similarity, reason), the gene-reading tallies, the top-gene coverage and the UMAP subsample.
struct AnnotationAccumulator {
    let plan: AnnotationPlan
    let classNames: [String]
    let groups: GroupMap?
    var labels = [String](), bestLabels = [String](), reasons = [String]()
    var confidence = [Double](), meanSimilarity = [Double]()
    var coverage = CoverageTally()
    var classTally: GeneReadingTally?
    var groupTally: GeneReadingTally?
    var sample: UMAPSample
    private let classIndex: [String: Int]
    private let groupNames: [String]
    private let groupIndex: [String: Int]

    init(plan: AnnotationPlan, classNames: [String], groups: GroupMap?, umapCells: Int) {
        self.plan = plan
        self.classNames = classNames
        self.groups = groups
        sample = UMAPSample(capacity: umapCells)
        classIndex = Dictionary(classNames.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
        groupNames = groups.map { g in Array(Set(classNames.map(g.group))).sorted() } ?? []
        groupIndex = Dictionary(groupNames.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
        if plan.geneTable != nil {
            classTally = GeneReadingTally(classNames: classNames, genes: plan.genes.count)
            if groups != nil { groupTally = GeneReadingTally(classNames: groupNames, genes: plan.genes.count) }
        }
    }

    /// One annotated block; `first` is the query position of its first cell.
    mutating func add(_ a: Annotation, block: ExpressionMatrix, first: Int) {
        labels += a.labels
        bestLabels += a.bestLabels
        reasons += a.reasons.isEmpty ? [String](repeating: "", count: a.cells.count) : a.reasons
        confidence += a.confidence
        meanSimilarity += a.meanSimilarity
        coverage = coverage + plan.coverage(block)
        sample.add(a.embeddings, first: first)
        if classTally != nil {
            let allowed = plan.usable
            let topN = plan.bundle.manifest.topN
            let assigned = a.labels.map { $0 == Annotation.unassigned ? -1 : classIndex[$0] ?? -1 }
            classTally!.add(block.values, labels: assigned, allowed: allowed, topN: topN)
            if let g = groups, groupTally != nil {
                let byGroup = a.labels.map { $0 == Annotation.unassigned ? -1 : groupIndex[g.group($0)] ?? -1 }
                groupTally!.add(block.values, labels: byGroup, allowed: allowed, topN: topN)
            }
        }
    }

    /// The run's summary over the cells `cells` (the calls only: no matrix or embeddings are kept).
    func summary(cells: [String], overlap: GeneOverlap, truth: [String?]?) -> TransferSummary {
        var a = Annotation(
            cells: cells, labels: labels, bestLabels: bestLabels, confidence: confidence, meanSimilarity: meanSimilarity,
            embeddings: DenseMatrix(rows: 0, cols: 0), overlap: overlap,
            query: ExpressionMatrix(values: SparseMatrix(rows: 0, cols: 0, indptr: [0], indices: [], values: []), genes: [], cells: []),
            geneTable: plan.geneTable)
        a.reasons = reasons
        return TransferSummary(annotation: a, truth: truth, classNames: classNames, groups: groups)
    }

    /// Gene readings of the predicted subtypes and groups (text bundles with assigned cells).
    func readings(knowledge: GeneKnowledge) -> [GeneReading] {
        guard let table = plan.geneTable, let classTally, classTally.sizes.contains(where: { $0 > 0 }) else { return [] }
        let top = classTally.readings(genes: plan.genes, table: table, knowledge: knowledge, top: 10)
        let byGroup = groupTally?.readings(genes: plan.genes, table: table, knowledge: knowledge, top: 10) ?? []
        return top + byGroup
    }

    /// The UMAP of the sampled cells (positions relative to the first annotated cell `offset`).
    func layout(umap: Bool, total: Int, offset: Int = 0, log: (String) -> Void) throws -> (DenseMatrix?, [Int]) {
        guard umap else { return (nil, []) }
        return try sample.layout(total: total, offset: offset, log: log)
    }

    /// shard.json (with the tallies and the sample's cells) and the sample's embeddings.
    func writeShard(dir: String, info: ShardInfo) throws {
        var info = info
        let (cells, x) = sample.chosen()
        info.sample = cells
        info.classTally = classTally
        info.groupTally = groupTally
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        try AtomicFile.write(try encoder.encode(info), to: dir + "/" + ShardInfo.fileName)
        try NPY.write(x, to: dir + "/" + ShardInfo.sampleFileName)
    }
}

/// A bounded, seeded subsample of cells kept while they stream past: each query position gets a fixed
/// pseudo-random key and the `capacity` smallest keys are kept, so the sample depends neither on the block
/// size nor on how the query is split into shards (the union of the shards' samples holds the whole run's).
struct UMAPSample {
    let capacity: Int
    private var keys = [UInt64](), cells = [Int](), rows = [Float]()
    private var cols = 0
    private var threshold = UInt64.max

    /// The cosine UMAP of the kept cells, and their query positions relative to `offset`; nil below 3 cells.
    func layout(total: Int, offset: Int = 0, log: (String) -> Void) throws -> (DenseMatrix?, [Int]) {
        let (cells, x) = chosen()
        guard total >= 3, cells.count >= 3 else { return (nil, []) }
        if cells.count < total { log("UMAP on a seeded subsample of \(cells.count) of the \(total) query cells") }
        let layout = try UMAP.embed(x, configuration: .queryReport)
        return (layout, cells.map { $0 - offset })
    }

    /// `capacity` 0: nothing is kept (no UMAP).
    init(capacity: Int) { self.capacity = max(0, capacity) }

    static func key(_ cell: Int) -> UInt64 {
        // splitmix64 of the position, seeded.
        var z = UInt64(bitPattern: Int64(cell)) &+ 0x9E37_79B9_7F4A_7C15 &* 43
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Pruned back to `capacity` when this many more are held (a bounded slack, not a doubling).
    private var slack: Int { max(1024, capacity / 8) }

    mutating func add(_ x: DenseMatrix, first: Int) {
        guard capacity > 0 else { return }
        cols = x.cols
        for r in 0..<x.rows {
            let k = Self.key(first + r)
            guard k < threshold else { continue }
            keys.append(k)
            cells.append(first + r)
            rows.append(contentsOf: x.values[(r * x.cols)..<((r + 1) * x.cols)])
        }
        if keys.count >= capacity + slack { prune() }
    }

    /// Adds sampled cells of another part of the query (a shard's sample).
    mutating func add(cells more: [Int], rows x: DenseMatrix) {
        cols = x.cols
        for (r, c) in more.enumerated() {
            keys.append(Self.key(c))
            cells.append(c)
            rows.append(contentsOf: x.values[(r * x.cols)..<((r + 1) * x.cols)])
        }
        if keys.count >= capacity + slack { prune() }
    }

    private mutating func prune() {
        guard keys.count > capacity else { return }
        let order = keys.indices.sorted { (keys[$0], cells[$0]) < (keys[$1], cells[$1]) }.prefix(capacity)
        let kept = order.sorted()
        var nk = [UInt64](), nc = [Int](), nr = [Float]()
        nk.reserveCapacity(capacity); nc.reserveCapacity(capacity); nr.reserveCapacity(capacity * cols)
        for i in kept {
            nk.append(keys[i]); nc.append(cells[i])
            nr.append(contentsOf: rows[(i * cols)..<((i + 1) * cols)])
        }
        (keys, cells, rows) = (nk, nc, nr)
        threshold = keys.max() ?? .max
    }

    /// The sampled cells in query order and their rows.
    func chosen() -> ([Int], DenseMatrix) {
        var s = self
        s.prune()
        let order = s.cells.indices.sorted { s.cells[$0] < s.cells[$1] }
        var x = [Float]()
        x.reserveCapacity(order.count * s.cols)
        for i in order { x.append(contentsOf: s.rows[(i * s.cols)..<((i + 1) * s.cols)]) }
        return (order.map { s.cells[$0] }, DenseMatrix(rows: order.count, cols: s.cols, values: x))
    }
}

/// What a shard's output folder holds besides its predictions and h5ad, for `lexicell merge`: where its cells
/// lie in the query, what produced them (bundle and query digests, options), and the pieces of the report
/// that are not per cell (coverage and gene-reading tallies, the UMAP sample).
public struct ShardInfo: Codable {
    public static let fileName = "shard.json"
    public static let sampleFileName = "umap_sample.npy"
    public var format = 1
    public var shard: Int
    public var shards: Int
    /// Query cells [first, end).
    public var first: Int
    public var end: Int
    public var queryCells: Int
    public var query: String
    public var cellsFile: String?
    public var reference: String
    public var bundleDigest: String
    public var queryDigest: String
    public var minConfidence: Double
    public var groups: String?
    public var truth: Bool
    public var umap: Bool
    public var umapCells: Int
    public var h5ad: Bool
    public var overlap: GeneOverlap
    public var classifierGenes: [Int]?
    public var coverage: CoverageTally
    public var sample: [Int]
    public var classTally: GeneReadingTally?
    public var groupTally: GeneReadingTally?

    /// The bundle's own digest (manifest.fnv1a), which covers every file of it.
    static func bundleDigest(_ reference: String) throws -> String {
        String(decoding: try FileData.read(reference + "/manifest.fnv1a"), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// FNV-1a over the kept cells' and the genes' names: the same query, cell for cell.
    static func queryDigest(_ chunks: CellChunks) -> String {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for list in [chunks.cells, chunks.genes] {
            for s in list { h = Digest.fnv1a(Array(s.utf8) + [0], seed: h) }
            h = Digest.fnv1a([1], seed: h)
        }
        return String(h, radix: 16)
    }
}
