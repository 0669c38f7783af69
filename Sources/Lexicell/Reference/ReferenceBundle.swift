import Foundation
import LexicellCore
import LexicellGenes
import LexicellCells
import LexicellLearn
import LexicellReport

/// A trained reference: what `lexicell annotate` needs to label new cells in the same space.
///
/// A directory holding `manifest.json` (settings, versions, and a digest of every other file), `embeddings.npy`
/// (reference cells × dimensions, refined when a refiner was trained), `cells.tsv` (cell, label), `genes.txt`
/// (the reference dataset's genes) and, when trained, `refiner.lxr`.
public struct ReferenceBundle: Sendable {
    public struct Manifest: Codable, Sendable, Equatable {
        public var format = "lexicell-reference"
        public var formatVersion = 1
        public var lexicellVersion = LexicellVersion.string
        public var created: String
        /// Exact identity of the gene vectors (model name + weights digest + pooling, or the random control).
        public var geneEmbeddingModel: String
        /// How to get those vectors again: `model:NAME`, `file:PATH` or `random:SEED:DIM`.
        public var geneEmbeddingSource: String
        public var geneTexts: String
        public var geneTextsVersion: String
        public var species: Species
        public var topN: Int
        public var weighting: CellWeighting
        public var housekeeping: String
        public var k: Int
        public var classNames: [String]
        public var cells: Int
        public var refined: Bool
        /// File name → FNV-1a digest of its bytes.
        public var files: [String: String]
        /// Set when the bundle classifies by expression (`classifier.json`): what was chosen. Format version 2.
        public var classifier: String?

        public init(created: String, geneEmbeddingModel: String, geneEmbeddingSource: String, geneTexts: String,
                    geneTextsVersion: String, species: Species, topN: Int, weighting: CellWeighting, housekeeping: String,
                    k: Int, classNames: [String], cells: Int, refined: Bool, files: [String: String], classifier: String? = nil) {
            self.created = created
            self.geneEmbeddingModel = geneEmbeddingModel
            self.geneEmbeddingSource = geneEmbeddingSource
            self.geneTexts = geneTexts
            self.geneTextsVersion = geneTextsVersion
            self.species = species
            self.topN = topN
            self.weighting = weighting
            self.housekeeping = housekeeping
            self.k = k
            self.classNames = classNames
            self.cells = cells
            self.refined = refined
            self.files = files
            self.classifier = classifier
            formatVersion = classifier == nil ? 1 : 2
        }
    }

    public var manifest: Manifest
    public var embeddings: DenseMatrix
    public var cellNames: [String]
    /// Class index per reference cell.
    public var labels: [Int]
    public var genes: [String]
    public var refiner: Refiner?
    /// The expression classifier of a version-2 bundle.
    public var classifier: ExpressionClassifier?

    public init(manifest: Manifest, embeddings: DenseMatrix, cellNames: [String], labels: [Int], genes: [String],
                refiner: Refiner?, classifier: ExpressionClassifier? = nil) {
        self.manifest = manifest
        self.embeddings = embeddings
        self.cellNames = cellNames
        self.labels = labels
        self.genes = genes
        self.refiner = refiner
        self.classifier = classifier
    }

    /// Newest format this Lexicell writes and reads (1: text embeddings + KNN; 2: adds `classifier.json`).
    public static let formatVersion = 2

    public func write(to directory: String) throws {
        let fm = FileManager.default
        let tmp = directory + ".partial-\(ProcessInfo.processInfo.processIdentifier)"
        try? fm.removeItem(atPath: tmp)
        try fm.createDirectory(atPath: tmp, withIntermediateDirectories: true)
        try NPY.write(embeddings, to: tmp + "/embeddings.npy")
        var cellsTSV = "cell\tlabel\n"
        for (c, l) in zip(cellNames, labels) { cellsTSV += "\(c)\t\(manifest.classNames[l])\n" }
        try AtomicFile.write(cellsTSV, to: tmp + "/cells.tsv")
        try AtomicFile.write(genes.joined(separator: "\n") + "\n", to: tmp + "/genes.txt")
        if let refiner { try refiner.save(to: tmp + "/refiner.lxr") }
        if let classifier { try AtomicFile.write(try JSONEncoder().encode(classifier), to: tmp + "/classifier.json") }
        var m = manifest
        m.files = [:]
        for name in try fm.contentsOfDirectory(atPath: tmp) {
            m.files[name] = Digest.fnv1aHex(try FileData.readRaw(tmp + "/" + name))
        }
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys]
        try AtomicFile.write(try enc.encode(m), to: tmp + "/manifest.json")
        // Replace the bundle in one rename so a reader never sees half of one.
        if fm.fileExists(atPath: directory) { try fm.removeItem(atPath: directory) }
        try fm.moveItem(atPath: tmp, toPath: directory)
    }

    /// Loads and verifies a bundle: format and version, and every file's digest.
    public static func load(from directory: String) throws -> ReferenceBundle {
        let manifestPath = directory + "/manifest.json"
        guard FileManager.default.fileExists(atPath: manifestPath) else {
            throw LexicellError("not a Lexicell reference bundle (no manifest.json)", file: directory)
        }
        let m: Manifest
        do { m = try JSONDecoder().decode(Manifest.self, from: Data(contentsOf: URL(fileURLWithPath: manifestPath))) } catch {
            throw LexicellError("manifest.json is not a valid reference manifest (\(error.localizedDescription))", file: manifestPath)
        }
        guard m.format == "lexicell-reference" else { throw LexicellError("manifest format is '\(m.format)', not lexicell-reference", file: manifestPath) }
        guard (1...formatVersion).contains(m.formatVersion) else {
            throw LexicellError("bundle format version \(m.formatVersion); this Lexicell reads versions 1–\(formatVersion)", file: manifestPath)
        }
        for (name, digest) in m.files.sorted(by: { $0.key < $1.key }) {
            let path = directory + "/" + name
            guard FileManager.default.fileExists(atPath: path) else { throw LexicellError("bundle file \(name) is missing (corrupted bundle)", file: directory) }
            guard Digest.fnv1aHex(try FileData.readRaw(path)) == digest else {
                throw LexicellError("bundle file \(name) does not match its checksum in manifest.json (corrupted bundle)", file: directory)
            }
        }
        let x = try NPY.read(directory + "/embeddings.npy")
        let table = try Table.read(directory + "/cells.tsv", delimiter: 0x09)
        let index = Dictionary(uniqueKeysWithValues: m.classNames.enumerated().map { ($1, $0) })
        var names = [String](), labels = [Int]()
        for row in table.rows {
            guard let l = index[row[1]] else { throw LexicellError("label '\(row[1])' is not in the manifest's classes", file: directory + "/cells.tsv") }
            names.append(row[0])
            labels.append(l)
        }
        guard x.rows == names.count, names.count == m.cells else {
            throw LexicellError("embeddings.npy has \(x.rows) rows but cells.tsv \(names.count) and the manifest \(m.cells)", file: directory)
        }
        let genes = LineSplitter(try FileData.read(directory + "/genes.txt")).strings().filter { !$0.isEmpty }
        let refiner = m.refined ? try Refiner.load(from: directory + "/refiner.lxr") : nil
        var classifier: ExpressionClassifier?
        if m.classifier != nil {
            let path = directory + "/classifier.json"
            do { classifier = try JSONDecoder().decode(ExpressionClassifier.self, from: Data(contentsOf: URL(fileURLWithPath: path))) } catch {
                throw LexicellError("classifier.json is not a valid expression classifier (\(error.localizedDescription))", file: path)
            }
            try classifier!.validate(classCount: m.classNames.count, referenceFeatures: x, file: path)
        }
        return ReferenceBundle(manifest: m, embeddings: x, cellNames: names, labels: labels, genes: genes, refiner: refiner,
                               classifier: classifier)
    }
}

extension FileData {
    /// The file's bytes as stored (no gunzip), for checksums.
    public static func readRaw(_ path: String) throws -> [UInt8] {
        guard let d = FileManager.default.contents(atPath: path) else { throw LexicellError("cannot read file", file: path) }
        return [UInt8](d)
    }
}
