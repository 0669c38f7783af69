import Foundation
import LexicellCore
import LexicellGenes
import LexicellCells
import LexicellLearn
import LexicellReport

/// A trained reference: what `lexicell annotate` needs to label new cells in the same space.
///
/// A directory holding `manifest.json` (settings, versions, and a digest of every other file), `manifest.fnv1a`
/// (the digest of manifest.json itself, so that no field can be edited unnoticed), `embeddings.npy` (reference
/// cells × dimensions, refined when a refiner was trained), `cells.tsv` (cell, label), `genes.txt` (the reference
/// dataset's genes) and, when trained, `refiner.lxr` or `classifier.json`.
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

        public init(
            created: String, geneEmbeddingModel: String, geneEmbeddingSource: String, geneTexts: String,
            geneTextsVersion: String, species: Species, topN: Int, weighting: CellWeighting, housekeeping: String,
            k: Int, classNames: [String], cells: Int, refined: Bool, files: [String: String], classifier: String? = nil
        ) {
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

    public init(
        manifest: Manifest, embeddings: DenseMatrix, cellNames: [String], labels: [Int], genes: [String],
        refiner: Refiner?, classifier: ExpressionClassifier? = nil
    ) {
        self.manifest = manifest
        self.embeddings = embeddings
        self.cellNames = cellNames
        self.labels = labels
        self.genes = genes
        self.refiner = refiner
        self.classifier = classifier
    }

    /// Newest format this Lexicell writes and reads (1: text embeddings + KNN; 2: adds `classifier.json`;
    /// 3: adds `manifest.fnv1a`, the manifest's own digest).
    public static let formatVersion = 3

    /// Writes the bundle as the folder `directory`, all at once (`OutputDirectory`: never over a folder Lexicell
    /// did not write unless `force`).
    public func write(to directory: String, force: Bool = false) throws {
        try OutputDirectory.commit(to: directory, force: force) { _ = try write(into: $0) }
    }

    /// Writes the bundle's files into `directory` (an empty folder, e.g. the temporary folder of
    /// `OutputDirectory.commit`, which puts the whole bundle in place at once); returns the names written.
    @discardableResult
    public func write(into directory: String) throws -> [String] {
        try NPY.write(embeddings, to: directory + "/embeddings.npy")
        var cellsTSV = "cell\tlabel\n"
        for (c, l) in zip(cellNames, labels) { cellsTSV += "\(c)\t\(manifest.classNames[l])\n" }
        try AtomicFile.write(cellsTSV, to: directory + "/cells.tsv")
        try AtomicFile.write(genes.joined(separator: "\n") + "\n", to: directory + "/genes.txt")
        if let refiner { try refiner.save(to: directory + "/refiner.lxr") }
        if let classifier {
            let encoder = JSONEncoder()
            encoder.outputFormatting = .sortedKeys  // same classifier, same bytes (and digest) in every process
            try AtomicFile.write(try encoder.encode(classifier), to: directory + "/classifier.json")
        }
        var m = manifest
        m.formatVersion = Self.formatVersion
        m.files = [:]
        for name in ["embeddings.npy", "cells.tsv", "genes.txt", "refiner.lxr", "classifier.json"]
        where FileManager.default.fileExists(atPath: directory + "/" + name) {
            m.files[name] = Digest.fnv1aHex(try FileData.readRaw(directory + "/" + name))
        }
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys]
        let manifestBytes = try enc.encode(m)
        try AtomicFile.write(manifestBytes, to: directory + "/manifest.json")
        try AtomicFile.write(Digest.fnv1aHex(Array(manifestBytes)) + "\n", to: directory + "/manifest.fnv1a")
        return m.files.keys.sorted() + ["manifest.json", "manifest.fnv1a"]
    }

    /// Every field of a manifest checked against the others and the files, naming the field.
    static func validate(_ m: Manifest, path: String) throws {
        func bad(_ field: String, _ what: String) -> LexicellError { LexicellError("manifest field '\(field)' \(what)", file: path) }
        guard m.cells >= 1 else { throw bad("cells", "is \(m.cells); expected at least 1") }
        guard !m.classNames.isEmpty else { throw bad("classNames", "is empty") }
        var seen = Set<String>()
        for c in m.classNames where !seen.insert(c).inserted { throw bad("classNames", "lists '\(c)' twice") }
        guard m.topN >= 1 else { throw bad("topN", "is \(m.topN); expected at least 1") }
        if m.classifier == nil {
            guard m.k >= 1, m.k <= m.cells else { throw bad("k", "is \(m.k); expected 1 ≤ k ≤ \(m.cells) cells") }
        } else {
            guard m.k >= 0, m.k <= m.cells else { throw bad("k", "is \(m.k); expected 0 ≤ k ≤ \(m.cells) cells") }
        }
        guard m.refined == (m.files["refiner.lxr"] != nil) else {
            throw bad("refined", "is \(m.refined) but refiner.lxr is \(m.files["refiner.lxr"] == nil ? "not" : "") listed in 'files'")
        }
        guard (m.classifier != nil) == (m.files["classifier.json"] != nil) else {
            throw bad(
                "classifier", m.classifier == nil ? "is missing but classifier.json is listed in 'files'" : "is set but no classifier.json is listed in 'files'"
            )
        }
        for needed in ["embeddings.npy", "cells.tsv", "genes.txt"] where m.files[needed] == nil {
            throw bad("files", "does not list \(needed)")
        }
        do { _ = try GeneTableSource(bundleDescription: m.geneEmbeddingSource) } catch { throw bad("geneEmbeddingSource", "\(error)") }
    }

    /// A manifest's bytes decoded and checked field by field (format, version, sizes, the files it must list).
    /// `validating: false` decodes only (the loader checks the manifest's checksum before its fields).
    public static func parseManifest(_ bytes: [UInt8], path: String, validating: Bool = true) throws -> Manifest {
        let m: Manifest
        do { m = try JSONDecoder().decode(Manifest.self, from: Data(bytes)) } catch {
            throw LexicellError("manifest.json is not a valid reference manifest (\(error.localizedDescription))", file: path)
        }
        guard m.format == "lexicell-reference" else { throw LexicellError("manifest format is '\(m.format)', not lexicell-reference", file: path) }
        guard (1...formatVersion).contains(m.formatVersion) else {
            throw LexicellError("bundle format version \(m.formatVersion); this Lexicell reads versions 1–\(formatVersion)", file: path)
        }
        if validating { try validate(m, path: path) }
        return m
    }

    /// Loads and verifies a bundle: format and version, and every file's digest.
    public static func load(from directory: String) throws -> ReferenceBundle {
        let manifestPath = directory + "/manifest.json"
        guard FileManager.default.fileExists(atPath: manifestPath) else {
            throw LexicellError("not a Lexicell reference bundle (no manifest.json)", file: directory)
        }
        let manifestBytes = try FileData.readRaw(manifestPath)
        let m = try parseManifest(manifestBytes, path: manifestPath, validating: false)
        if m.formatVersion >= 3 {
            let digestPath = directory + "/manifest.fnv1a"
            guard FileManager.default.fileExists(atPath: digestPath) else {
                throw LexicellError("manifest.fnv1a is missing (corrupted bundle)", file: directory)
            }
            let recorded = String(decoding: try FileData.readRaw(digestPath), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            guard recorded == Digest.fnv1aHex(manifestBytes) else {
                throw LexicellError("manifest.json does not match its checksum in manifest.fnv1a (edited or corrupted bundle)", file: directory)
            }
        }
        try validate(m, path: manifestPath)
        for (name, digest) in m.files.sorted(by: { $0.key < $1.key }) {
            let path = directory + "/" + name
            guard FileManager.default.fileExists(atPath: path) else {
                throw LexicellError("bundle file \(name) is missing (corrupted bundle)", file: directory)
            }
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
        guard x.cols >= 1 else { throw LexicellError("embeddings.npy has no columns", file: directory) }
        let genes = LineSplitter(try FileData.read(directory + "/genes.txt")).strings().filter { !$0.isEmpty }
        let refiner = m.refined ? try Refiner.load(from: directory + "/refiner.lxr") : nil
        if let refiner, refiner.outputDim != x.cols {
            throw LexicellError("refiner.lxr gives \(refiner.outputDim)-d vectors but embeddings.npy has \(x.cols) columns", file: directory)
        }
        var classifier: ExpressionClassifier?
        if m.classifier != nil {
            let path = directory + "/classifier.json"
            do { classifier = try JSONDecoder().decode(ExpressionClassifier.self, from: Data(contentsOf: URL(fileURLWithPath: path))) } catch {
                throw LexicellError("classifier.json is not a valid expression classifier (\(error.localizedDescription))", file: path)
            }
            try classifier!.validate(classCount: m.classNames.count, referenceFeatures: x, file: path)
        }
        return ReferenceBundle(
            manifest: m, embeddings: x, cellNames: names, labels: labels, genes: genes, refiner: refiner,
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
