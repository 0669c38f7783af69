#!/usr/bin/env python3
"""Synthesise N labelled cells from the bundled Romanov 2017 cells, as an .h5ad, in bounded memory.

Each synthetic cell copies a real cell of one of the 33 types with >= 10 cells (drawn uniformly at random from
those 667 cells, so class proportions follow Romanov's) and binomially thins its integer counts with a per-cell
keep probability drawn from U(0.4, 0.8): depth and detected genes vary from cell to cell, every count stays an
integer, zeros are dropped, and the label is the source cell's type. All 21,143 genes are kept. Seeded (numpy
Generator).

The file is written block by block with h5py in the layout anndata writes (X: csr_matrix with float32 data,
int32 indices, int64 indptr; obs: `_index` + categorical `cell_type`; var: `_index` = gene symbols; empty
layers/obsm/obsp/varm/varp/uns), so memory depends on the block size, not on N: 1,000,000 cells (~2.9e9
non-zeros, ~23 GB) need under 1 GB. It is written to OUT.part and renamed when complete.

    python3 scripts/make_scale_data.py --cells 100000 --out out/scale/train_100000.h5ad --seed 1
Needs numpy, scipy and h5py.
"""
import argparse
import csv
import gzip
import os
import time

import h5py
import numpy as np
import scipy.io

ROMANOV = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "datasets",
                       "romanov2017_hypothalamus_neurons")
BLOCK_CELLS = 5000
STR = h5py.string_dtype("utf-8")


def load_romanov(min_cells=10):
    """(indptr, indices, counts) of the kept cells as CSR cells x genes, their labels and the gene symbols."""
    with gzip.open(os.path.join(ROMANOV, "matrix.mtx.gz")) as f:
        m = scipy.io.mmread(f).T.tocsr()  # file is genes x cells
    m.sum_duplicates()
    m.sort_indices()
    with gzip.open(os.path.join(ROMANOV, "features.tsv.gz"), "rt") as f:
        genes = [line.rstrip("\n").split("\t")[0] for line in f]
    with gzip.open(os.path.join(ROMANOV, "barcodes.tsv.gz"), "rt") as f:
        barcodes = [line.strip() for line in f]
    with open(os.path.join(ROMANOV, "cell_metadata.csv"), newline="") as f:
        label_of = {r["cell"]: r["Author_CellType"] for r in csv.DictReader(f)}
    if m.shape != (len(barcodes), len(genes)):
        raise SystemExit(f"{ROMANOV}: matrix is {m.shape[::-1]} (genes x cells), expected "
                         f"{len(genes)} features x {len(barcodes)} barcodes")
    labels = np.array([label_of[b] for b in barcodes], dtype=object)
    types, sizes = np.unique(labels, return_counts=True)
    kept_types = types[sizes >= min_cells]
    keep = np.flatnonzero(np.isin(labels, kept_types))
    m = m[keep]
    counts = m.data.astype(np.int64)
    if not np.array_equal(counts, m.data):
        raise SystemExit(f"{ROMANOV}/matrix.mtx.gz: counts are not integers")
    return m.indptr.astype(np.int64), m.indices.astype(np.int32), counts, labels[keep], list(kept_types), genes


def encode(obj, kind, version):
    obj.attrs["encoding-type"] = kind
    obj.attrs["encoding-version"] = version


def write(out, n_cells, seed, block_cells=BLOCK_CELLS, min_cells=10):
    src_ptr, src_idx, src_cnt, src_labels, types, genes = load_romanov(min_cells)
    code_of = {t: i for i, t in enumerate(types)}  # categories sorted, as pandas sorts them
    src_codes = np.array([code_of[t] for t in src_labels], dtype=np.int8)
    src_len = np.diff(src_ptr)
    rng = np.random.default_rng(seed)
    tmp = out + ".part"
    os.makedirs(os.path.dirname(os.path.abspath(out)) or ".", exist_ok=True)
    started = time.monotonic()
    with h5py.File(tmp, "w") as f:
        encode(f, "anndata", "0.1.0")
        x = f.create_group("X")
        encode(x, "csr_matrix", "0.1.0")
        x.attrs["shape"] = np.array([n_cells, len(genes)], dtype=np.int64)
        chunk = 1 << 18
        data = x.create_dataset("data", shape=(0,), maxshape=(None,), dtype=np.float32, chunks=(chunk,))
        indices = x.create_dataset("indices", shape=(0,), maxshape=(None,), dtype=np.int32, chunks=(chunk,))
        indptr = x.create_dataset("indptr", shape=(n_cells + 1,), dtype=np.int64)
        indptr[0] = 0

        obs = f.create_group("obs")
        encode(obs, "dataframe", "0.2.0")
        obs.attrs["_index"] = "_index"
        obs.attrs.create("column-order", np.array(["cell_type"], dtype=object), dtype=STR)
        names = obs.create_dataset("_index", shape=(n_cells,), dtype=STR)
        encode(names, "string-array", "0.2.0")
        cat = obs.create_group("cell_type")
        encode(cat, "categorical", "0.2.0")
        cat.attrs["ordered"] = np.False_
        encode(cat.create_dataset("categories", data=np.array(types, dtype=object), dtype=STR),
               "string-array", "0.2.0")
        codes = cat.create_dataset("codes", shape=(n_cells,), dtype=np.int8)
        encode(codes, "array", "0.2.0")

        nnz = 0
        width = len(str(max(n_cells - 1, 0)))
        for start in range(0, n_cells, block_cells):
            n = min(block_cells, n_cells - start)
            pick = rng.integers(0, len(src_len), size=n)
            keep_p = rng.uniform(0.4, 0.8, size=n)
            lengths = src_len[pick]
            total = int(lengths.sum())
            # Positions of the picked cells' values in the source arrays, without a Python loop per cell.
            first = np.cumsum(lengths) - lengths
            take = np.arange(total, dtype=np.int64) + np.repeat(src_ptr[pick] - first, lengths)
            values = rng.binomial(src_cnt[take], np.repeat(keep_p, lengths))
            nz = values != 0
            seen = np.concatenate([[0], np.cumsum(nz)])
            row_nnz = seen[first + lengths] - seen[first]
            del seen
            kept = int(row_nnz.sum())
            data.resize((nnz + kept,))
            data[nnz:] = values[nz].astype(np.float32)
            indices.resize((nnz + kept,))
            indices[nnz:] = src_idx[take][nz]
            indptr[start + 1:start + n + 1] = nnz + np.cumsum(row_nnz, dtype=np.int64)
            nnz += kept
            names[start:start + n] = np.array([f"syn{i:0{width}d}" for i in range(start, start + n)], dtype=object)
            codes[start:start + n] = src_codes[pick]
            if (start // block_cells) % 20 == 19:
                done = start + n
                rate = done / (time.monotonic() - started)
                print(f"{done:,} of {n_cells:,} cells, {nnz:,} non-zeros, {rate:,.0f} cells/s, "
                      f"ETA {(n_cells - done) / rate:,.0f} s", flush=True)

        var = f.create_group("var")
        encode(var, "dataframe", "0.2.0")
        var.attrs["_index"] = "_index"
        var.attrs["column-order"] = np.array([], dtype=np.float64)  # anndata writes an empty list as float64
        encode(var.create_dataset("_index", data=np.array(genes, dtype=object), dtype=STR), "string-array", "0.2.0")
        for name in ["layers", "obsm", "obsp", "uns", "varm", "varp"]:
            encode(f.create_group(name), "dict", "0.1.0")
    os.replace(tmp, out)
    return nnz, len(genes), len(types)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--cells", type=int, required=True, help="number of synthetic cells")
    p.add_argument("--out", required=True, help=".h5ad to write (via OUT.part)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--min-cells-per-class", type=int, default=10,
                   help="source types with at least this many Romanov cells (10: 33 types; 7: 45 types, the RGC atlas's count)")
    a = p.parse_args()
    if a.cells < 1:
        p.error("--cells must be at least 1")
    started = time.monotonic()
    nnz, n_genes, n_types = write(a.out, a.cells, a.seed, min_cells=a.min_cells_per_class)
    print(f"{a.out}: {a.cells:,} cells x {n_genes:,} genes, {nnz:,} non-zeros ({nnz / a.cells:.0f} per cell), "
          f"{n_types} classes, seed {a.seed}, {time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    main()
