import Foundation
import LexicellCore
import LexicellIO
import LexicellCells

/// Where a run's cells and labels come from, as the user named them; `read` and `loadLabelled` turn it into data.
public struct DatasetRequest: Sendable {
    public var data: String
    public var labels: String?
    public var labelColumn = "Author_CellType"
    public var barcodeColumn: String?
    public var obsColumn: String?
    public var orientation = MatrixOrientation.auto
    public var raw = false
    public var cellsFile: String?
    public var classes: [String] = []
    public var classesFile: String?
    public var minCellsPerClass = 10
    /// The scale of the expression values for the expression baselines (nil: detected from the training cells).
    public var inputScale: InputScale?
    /// Labels that take part in nothing (e.g. `Unassigned` when reading an annotate output's predicted labels).
    public var excludedLabels: Set<String> = []
    /// The expression baseline's PCA solver (nil: auto).
    public var pcaSolver: ExpressionPCASolver?
    /// Highly variable genes of the expression baseline (nil: 2,000, as scanpy's tutorials and Seurat).
    public var nTopGenes: Int?

    /// The expression baseline's settings this request asks for (defaults for everything it does not name).
    public var expressionConfiguration: ExpressionBaselineConfiguration {
        var c = ExpressionBaselineConfiguration()
        c.inputScale = inputScale
        c.pcaSolver = pcaSolver
        if let nTopGenes { c.nTopGenes = nTopGenes }
        return c
    }

    public init(data: String) { self.data = data }

    /// Whether labels were named (a file or an h5ad obs column).
    public var hasLabels: Bool { labels != nil || obsColumn != nil }

    /// The matrix (and obs) of `data`, restricted to `cellsFile`.
    public func read(log: (String) -> Void) throws -> Dataset {
        let t0 = Date()
        let chunks = try open()
        var obs = [String: [String]]()
        for name in chunks.obsColumns { obs[name] = try chunks.obsColumn(name) }
        let ds = Dataset(expression: try chunks.read(0..<chunks.cellCount), obs: obs, obsColumns: chunks.obsColumns)
        log(
            String(
                format: "read %@: %d cells × %d genes, %d non-zeros (%.2f s)", data, ds.expression.cellCount,
                ds.expression.geneCount, ds.expression.values.nonZeroCount, Date().timeIntervalSince(t0)))
        return ds
    }

    /// The data opened for reading in blocks of cells, restricted to `cellsFile` (nothing else is read).
    public func open() throws -> CellChunks {
        try CellChunks.open(path: data, orientation: orientation, h5adMatrix: raw ? .raw : .x, cellsFile: cellsFile)
    }

    /// Per kept cell of `chunks`, its label from the labels file or the obs column (nil where none).
    public func labels(of chunks: CellChunks, log: (String) -> Void) throws -> (labels: [String?], source: String) {
        if let labels {
            let table = try LabelTable.read(path: labels, barcodeColumn: barcodeColumn, labelColumn: labelColumn)
            let join = try table.join(cells: chunks.cells, file: data)
            log(join.summary)
            return (join.labels, labels)
        }
        if let obsColumn {
            return (try chunks.obsColumn(obsColumn).map { $0.isEmpty ? nil : $0 }, "\(data) obs/\(obsColumn)")
        }
        throw LexicellError("give --labels FILE (with --label-column) or --obs-column for an h5ad")
    }

    /// Per cell of `dataset`, its label from the labels file or the obs column (nil where none).
    public func labels(of dataset: Dataset, log: (String) -> Void) throws -> (labels: [String?], source: String) {
        if let labels {
            let table = try LabelTable.read(path: labels, barcodeColumn: barcodeColumn, labelColumn: labelColumn)
            let join = try table.join(cells: dataset.expression.cells, file: data)
            log(join.summary)
            return (join.labels, labels)
        }
        if let obsColumn {
            guard let col = dataset.obs[obsColumn] else {
                throw LexicellError("no obs column '\(obsColumn)' (columns: \(dataset.obsColumns.joined(separator: ", ")))", file: data)
            }
            return (col.map { $0.isEmpty ? nil : $0 }, "\(data) obs/\(obsColumn)")
        }
        throw LexicellError("give --labels FILE (with --label-column) or --obs-column for an h5ad")
    }

    /// The labelled cells of the chosen classes.
    public func loadLabelled(log: (String) -> Void) throws -> LabelledDataset { try loadLabelledCountingExcluded(log: log).dataset }

    /// The labelled cells of the chosen classes, and how many cells carried an `excludedLabels` label.
    public func loadLabelledCountingExcluded(log: (String) -> Void) throws -> (dataset: LabelledDataset, excluded: Int) {
        let ds = try read(log: log)
        let (given, source) = try labels(of: ds, log: log)
        var perCell = given
        var excluded = 0
        if !excludedLabels.isEmpty {
            let before = perCell.compactMap { $0 }.count
            perCell = perCell.map { $0.flatMap { excludedLabels.contains($0) ? nil : $0 } }
            excluded = before - perCell.compactMap { $0 }.count
            if excluded > 0 { log("left out \(excluded) cells labelled \(excludedLabels.sorted().joined(separator: ", "))") }
        }
        var chosen = classes
        if let classesFile {
            let bytes = try FileData.read(classesFile)
            chosen += LineSplitter(bytes).strings().map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }
        let labelled = try LabelledDataset(
            expression: ds.expression, labels: perCell, classes: chosen.isEmpty ? nil : chosen,
            minCellsPerClass: minCellsPerClass, labelSource: source)
        log("classes: \(labelled.classNames.count) (\(labelled.expression.cellCount) cells; sizes \(labelled.classSizes.min()!)–\(labelled.classSizes.max()!))")
        return (labelled, excluded)
    }
}
