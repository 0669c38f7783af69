import Foundation
import XCTest
import LexicellCore
@testable import LexicellIO

final class H5ADTests: XCTestCase {
    let pbmcH5AD = TestData.pbmc + "/pbmc68k_reduced.h5ad"

    /// raw.X of the (pre-0.7 layout) pbmc68k file equals its CSV twin within the CSV's 4-decimal rounding.
    func testPbmcRawMatchesCSVTwin() throws {
        let h5 = try DatasetReader.readH5AD(path: pbmcH5AD, matrix: .raw).expression
        let csv = try DatasetReader.readDelimited(path: TestData.pbmc + "/pbmc68k_reduced_raw_lognorm_cells_x_genes.csv.gz")
        XCTAssertEqual(h5.genes, csv.genes)
        XCTAssertEqual(h5.cells, csv.cells)
        XCTAssertEqual(h5.values.nonZeroCount, 174_400)
        let a = h5.values.toDense(), b = csv.values.toDense()
        var worst: Float = 0
        for i in 0..<a.values.count { worst = max(worst, abs(a.values[i] - b.values[i])) }
        XCTAssertLessThanOrEqual(worst, 5e-5)
        for r in 0..<h5.cellCount {
            let row = h5.values.indices[h5.values.indptr[r]..<h5.values.indptr[r + 1]]
            XCTAssertTrue(row.elementsEqual(row.sorted()), "row \(r) sorted")  // the file's rows are not
        }
    }

    /// obs of the h5ad (compound dataset, categories in uns/<col>_categories) equals pbmc68k_reduced_obs.csv.
    func testPbmcObsMatchesObsCSV() throws {
        let d = try DatasetReader.readH5AD(path: pbmcH5AD)
        XCTAssertEqual(d.obsColumns, ["bulk_labels", "n_genes", "percent_mito", "n_counts", "S_score", "G2M_score", "phase", "louvain"])
        let obsCSV = TestData.pbmc + "/pbmc68k_reduced_obs.csv"
        for column in ["bulk_labels", "louvain", "phase", "n_genes"] {
            let table = try LabelTable.read(path: obsCSV, labelColumn: column)
            let join = try table.join(cells: d.expression.cells, file: pbmcH5AD)
            XCTAssertEqual(join.matched, 700)
            XCTAssertEqual(join.labels.map { $0 ?? "" }, d.obs[column]!, column)
        }
        XCTAssertEqual(Set(d.obs["bulk_labels"]!).count, 10)
        XCTAssertEqual(d.obs["n_counts"]![0], "2557.0")
        XCTAssertEqual(d.obs["percent_mito"]![0], "0.023856081")  // as in the obs CSV
    }

    /// Dense X (scaled data); reference values read with h5py: X[0,0] = -0.326, X[699,764] = -0.49,
    /// X[10,20] = -0.07, 535,433 non-zeros.
    func testPbmcDenseX() throws {
        let d = try DatasetReader.read(path: pbmcH5AD, h5adMatrix: .x).expression
        XCTAssertEqual(d.cellCount, 700)
        XCTAssertEqual(d.geneCount, 765)
        XCTAssertEqual(d.values.nonZeroCount, 535_433)
        XCTAssertEqual(entry(d.values, 0, 0), -0.326)
        XCTAssertEqual(entry(d.values, 699, 764), -0.49)
        XCTAssertEqual(entry(d.values, 10, 20), -0.07)
        XCTAssertFalse(d.looksLikeCounts)
    }

    /// A file written by anndata 0.12 (scripts/io_make_h5ad_fixtures.py): CSC integer X, categorical with a
    /// missing value, string/float/int/bool columns, raw with more genes.
    func testAnndataCurrentLayoutFixture() throws {
        let path = TestData.fixtures + "/anndata_current.h5ad"
        let d = try DatasetReader.readH5AD(path: path)
        XCTAssertEqual(d.expression.cells, ["c1", "c2", "c3", "c4"])
        XCTAssertEqual(d.expression.genes, ["Gad1", "Slc17a6", "Oxt"])
        XCTAssertEqual(d.expression.values.toDense().values, [0, 3, 0, 1, 0, 0, 0, 0, 7, 2, 5, 0])
        XCTAssertEqual(d.obsColumns, ["cluster", "donor", "score", "n_genes", "is_good"])
        XCTAssertEqual(d.obs["cluster"]!, ["B", "A", "", "B"])
        XCTAssertEqual(d.obs["donor"]!, ["d1", "d2", "d1", "d3"])
        XCTAssertEqual(d.obs["score"]!, ["0.5", "1.25", "-2.0", "3.0"])
        XCTAssertEqual(d.obs["n_genes"]!, ["1", "1", "1", "2"])
        XCTAssertEqual(d.obs["is_good"]!, ["True", "False", "True", "True"])
        let raw = try DatasetReader.readH5AD(path: path, matrix: .raw).expression
        XCTAssertEqual(raw.genes, ["Gad1", "Slc17a6", "Oxt", "Avp", "Th"])
        XCTAssertEqual(raw.values.toDense().values, [0, 1.5, 0, 0, 2, 0, 0, 0, 0, 0, 4, 0, 0, 1, 0, 0, 0, 3, 0, 0])
        let labels = try LabelTable.readH5AD(path: path, column: "cluster").join(cells: ["c3", "c4", "c9"], file: "cells")
        XCTAssertEqual(labels.labels, [nil, "B", nil])
        XCTAssertEqual(labels.matched, 2)
    }

    /// The anndata 0.7 layout: categorical codes whose `categories` attribute references the categories,
    /// fixed-length strings, dense X.
    func testAnndata07LayoutFixture() throws {
        let d = try DatasetReader.readH5AD(path: TestData.fixtures + "/anndata07_layout.h5ad")
        XCTAssertEqual(d.expression.cells, ["AAAC-1", "AAAG-1", "AACT-1"])
        XCTAssertEqual(d.expression.genes, ["Snap25", "Gfap"])
        XCTAssertEqual(d.expression.values.toDense().values, [1, 0, 0, 2.5, 0, 0])
        XCTAssertEqual(d.obs["celltype"]!, ["Glia", "", "Neuron"])
        XCTAssertEqual(d.obs["batch"]!, ["b1", "b2", "b2"])
    }

    func testBadFiles() throws {
        let dir = try TestData.tempDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try TestData.write("cell,x\n", to: dir + "/text.h5ad")
        assertLexicellError(["text.h5ad", "not an HDF5 file"]) { _ = try DatasetReader.read(path: dir + "/text.h5ad") }

        // Made with the HDF5 C API: obs and var but no X.
        do {
            let f = try H5File.create(dir + "/noX.h5ad")
            for name in ["obs", "var"] {
                let g = try f.root.createGroup(name)
                try g.setAttribute("_index", string: "_index")
                try g.writeStrings("_index", ["a", "b"])
            }
        }
        assertLexicellError(["noX.h5ad", "has no \"X\" matrix"]) { _ = try DatasetReader.readH5AD(path: dir + "/noX.h5ad") }
        assertLexicellError(["noX.h5ad", "no raw matrix"]) { _ = try DatasetReader.readH5AD(path: dir + "/noX.h5ad", matrix: .raw) }
        assertLexicellError(["noX.h5ad", "obs has no column \"cluster\""]) { _ = try LabelTable.readH5AD(path: dir + "/noX.h5ad", column: "cluster") }

        // CSR whose shape attribute (3 rows) disagrees with indptr (2 rows).
        func sparse(_ name: String, shape: [Int64], indptr: [Int64], indices: [Int32]) throws {
            let f = try H5File.create(dir + "/" + name)
            for g in ["obs", "var"] {
                let o = try f.root.createGroup(g)
                try o.setAttribute("_index", string: "_index")
                try o.writeStrings("_index", g == "obs" ? ["a", "b", "c"] : ["x", "y"])
            }
            let x = try f.root.createGroup("X")
            try x.setAttribute("encoding-type", string: "csr_matrix")
            try x.setAttribute("shape", integers: shape)
            try x.writeDataset("data", [Float](repeating: 1, count: indices.count))
            try x.writeDataset("indices", indices)
            try x.writeDataset("indptr", indptr)
        }
        try sparse("badshape.h5ad", shape: [3, 2], indptr: [0, 1, 2], indices: [0, 1])
        assertLexicellError(["badshape.h5ad", "/X", "shape attribute says 3 × 2", "indptr has 3 entries, expected 4"]) {
            _ = try DatasetReader.readH5AD(path: dir + "/badshape.h5ad")
        }
        try sparse("badindex.h5ad", shape: [3, 2], indptr: [0, 1, 2, 2], indices: [0, 5])
        assertLexicellError(["badindex.h5ad", "index 5 at position 1 is outside 0..<2"]) {
            _ = try DatasetReader.readH5AD(path: dir + "/badindex.h5ad")
        }
        try sparse("good.h5ad", shape: [3, 2], indptr: [0, 1, 2, 2], indices: [0, 1])
        XCTAssertEqual(try DatasetReader.readH5AD(path: dir + "/good.h5ad").expression.values.toDense().values, [1, 0, 0, 1, 0, 0])
    }

    /// Writer → reader round trip on real data; set LEXICELL_KEEP_H5AD=<path> to keep the file for
    /// scripts/check_h5ad.py.
    func testWriterRoundTrip() throws {
        let source = try DatasetReader.readH5AD(path: pbmcH5AD, matrix: .raw)
        let e = source.expression
        var labels = source.obs["bulk_labels"]!
        labels[1] = ""  // a missing label
        var umap = DenseMatrix(rows: e.cellCount, cols: 2)
        for r in 0..<e.cellCount { umap[r, 0] = Float(r) / 7; umap[r, 1] = -Float(r) }
        let embedding = DenseMatrix(rows: e.cellCount, cols: 3, values: (0..<(e.cellCount * 3)).map { Float($0) * 0.25 })
        let nGenes = source.obs["n_genes"]!.map { Double($0)! }
        let dir = try TestData.tempDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/out/written.h5ad"
        let obs: [(String, ObsColumn)] = [
            ("bulk_labels", .categorical(labels)), ("phase", .strings(source.obs["phase"]!)),
            ("n_genes", .numbers(nGenes)),
        ]
        try H5ADWriter.write(
            path: path, expression: e, cells: e.cells, genes: e.genes, obs: obs,
            obsm: [("X_umap", umap), ("X_lexicell", embedding)])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir + "/out"), ["written.h5ad"])  // no temp left

        let back = try DatasetReader.readH5AD(path: path)
        XCTAssertEqual(back.expression, e)
        XCTAssertEqual(back.obsColumns, ["bulk_labels", "phase", "n_genes"])
        XCTAssertEqual(back.obs["bulk_labels"]!, labels)
        XCTAssertEqual(back.obs["phase"]!, source.obs["phase"]!)
        XCTAssertEqual(back.obs["n_genes"]!.map { Double($0)! }, nGenes)
        let file = try H5File.open(path)
        let x = try file.root.open("obsm/X_umap")
        XCTAssertEqual(x.shape, [700, 2])
        XCTAssertEqual(try x.readNumbers(Float.self), umap.values)
        XCTAssertEqual(try file.root.open("obsm/X_lexicell").readNumbers(Float.self), embedding.values)
        XCTAssertEqual(file.root.stringAttribute("encoding-type"), "anndata")
        XCTAssertEqual(try file.root.open("obs/bulk_labels").stringAttribute("encoding-type"), "categorical")

        // Overwrites an existing file in place; mismatched inputs are refused without touching it.
        try H5ADWriter.write(path: path, expression: nil, cells: e.cells, genes: e.genes)
        assertLexicellError(["written.h5ad", "no \"X\" matrix"]) {
            _ = try DatasetReader.readH5AD(path: path)
        }
        assertLexicellError(["written.h5ad", "obs column \"bad\" has 1 values for 700 cells"]) {
            try H5ADWriter.write(path: path, expression: nil, cells: e.cells, genes: e.genes, obs: [("bad", .strings(["x"]))])
        }
        if let keep = ProcessInfo.processInfo.environment["LEXICELL_KEEP_H5AD"] {
            try H5ADWriter.write(
                path: keep, expression: e, cells: e.cells, genes: e.genes, obs: obs,
                obsm: [("X_umap", umap), ("X_lexicell", embedding)])
        }
    }
}
