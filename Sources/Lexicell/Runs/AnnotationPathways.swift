import Foundation
import LexicellCore
import LexicellGenes
import LexicellIO

/// `annotate --pathways`: what each predicted subtype (and group) does, read from the finished calls.
extension AnnotationRun {
    /// Markers, over-representation and GSEA per predicted subtype on a seeded subsample of at most `pathwayCells`
    /// annotated cells (rank sums compare whole groups, so the cells are held together; the subsample bounds that
    /// memory), then the AUCell-style scores of the top sets for every annotated cell, block by block.
    /// `labels` are the calls of the cells in `range`, in query order. Postcondition: `scores` has one row per cell
    /// of `range` (nil when no set passed the FDR bound).
    func pathwayReading(
        chunks: CellChunks, blocks: [Range<Int>], range: Range<Int>, labels: [String], groups: GroupMap?, species: Species,
        collections: [String], log: (String) -> Void
    ) throws -> PathwayReport {
        // The same cells whatever the block size: a seeded choice of query positions.
        var positions = Array(range)
        if positions.count > pathwayCells {
            var rng = SeededGenerator(seed: 7)
            positions.shuffle(using: &rng)
            positions = positions.prefix(pathwayCells).sorted()
            log("pathways: markers and enrichment on a seeded subsample of \(pathwayCells) of the \(range.count) annotated cells")
        }
        var indptr = [0], indices = [Int32](), values = [Float]()
        var next = 0
        for b in blocks where next < positions.count && positions[next] < b.upperBound {
            let block = try chunks.read(b).values
            while next < positions.count && positions[next] < b.upperBound {
                let r = positions[next] - b.lowerBound
                let span = block.indptr[r]..<block.indptr[r + 1]
                indices += block.indices[span]
                values += block.values[span]
                indptr.append(values.count)
                next += 1
            }
        }
        let sample = ExpressionMatrix(
            values: SparseMatrix(rows: positions.count, cols: chunks.geneCount, indptr: indptr, indices: indices, values: values),
            genes: chunks.genes, cells: positions.map { chunks.cells[$0] })
        var report = try PathwayReport.annotation(
            expression: sample, labels: positions.map { labels[$0 - range.lowerBound] }, groups: groups, species: species,
            geneSets: collections, scoreCells: false, log: log)
        report.unassignedCells = labels.filter { $0 == Annotation.unassigned }.count
        guard let sets = report.scoreSets else { return report }
        let scorer = sets.scorer(genes: chunks.genes)
        var scores = [Float]()
        scores.reserveCapacity(range.count * sets.entries.count)
        for b in blocks { scores += scorer.scores(try chunks.read(b)).values }
        report.scores = DenseMatrix(rows: range.count, cols: sets.entries.count, values: scores)
        report.scoreLabels = labels.map { $0 == Annotation.unassigned ? nil : $0 }
        return report
    }
}
