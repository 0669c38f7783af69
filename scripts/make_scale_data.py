#!/usr/bin/env python3
"""Synthesise a large labelled count matrix from the bundled Romanov 2017 cells (for scale measurements).

Each synthetic cell copies a real cell of one of the 33 types with >= 10 cells (drawn uniformly from those
667 cells, so class proportions follow Romanov's) and binomially thins its counts with a per-cell keep
probability drawn from U(0.4, 0.8): depth and detected genes vary from cell to cell, every count stays an
integer, and the label is the source cell's type. All 21,143 genes are kept. Seeded; written as .h5ad (CSR
float32 counts in X, labels in obs["cell_type"]).

    /work/venv-ct/bin/python scripts/make_scale_data.py --cells 100000 --out out/scale/romanov_100k.h5ad
"""
import argparse
import gzip
import os

import anndata as ad
import numpy as np
import pandas as pd
import scipy.io
import scipy.sparse as sp

ROMANOV = os.path.join(os.path.dirname(__file__), "..", "data", "datasets", "romanov2017_hypothalamus_neurons")


def load_romanov(min_cells=10):
    with gzip.open(os.path.join(ROMANOV, "matrix.mtx.gz")) as f:
        m = scipy.io.mmread(f).T.tocsr().astype(np.float32)  # cells x genes
    genes = pd.read_csv(os.path.join(ROMANOV, "features.tsv.gz"), sep="\t", header=None)[0].astype(str).tolist()
    barcodes = pd.read_csv(os.path.join(ROMANOV, "barcodes.tsv.gz"), sep="\t", header=None)[0].astype(str).tolist()
    meta = pd.read_csv(os.path.join(ROMANOV, "cell_metadata.csv")).set_index("cell")
    labels = meta.loc[barcodes, "Author_CellType"].astype(str).to_numpy()
    counts = pd.Series(labels).value_counts()
    keep = np.flatnonzero(np.isin(labels, counts[counts >= min_cells].index))
    return m[keep], genes, labels[keep]


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--cells", type=int, required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--keep-min", type=float, default=0.4)
    p.add_argument("--keep-max", type=float, default=0.8)
    a = p.parse_args()
    rng = np.random.default_rng(a.seed)
    src, genes, labels = load_romanov()
    chunks, names, types = [], [], []
    chunk = 10_000
    for start in range(0, a.cells, chunk):
        n = min(chunk, a.cells - start)
        pick = rng.integers(0, src.shape[0], size=n)
        block = src[pick]  # CSR copy of the chosen source cells
        keep = rng.uniform(a.keep_min, a.keep_max, size=n)
        per_value = np.repeat(keep, np.diff(block.indptr))
        block.data = rng.binomial(block.data.astype(np.int64), per_value).astype(np.float32)
        block.eliminate_zeros()
        chunks.append(block)
        names += [f"syn{start + i:07d}" for i in range(n)]
        types.append(labels[pick])
    x = sp.vstack(chunks, format="csr")
    x.indices = x.indices.astype(np.int32)
    x.indptr = x.indptr.astype(np.int64) if x.nnz > np.iinfo(np.int32).max else x.indptr.astype(np.int32)
    obs = pd.DataFrame({"cell_type": pd.Categorical(np.concatenate(types))}, index=names)
    adata = ad.AnnData(X=x, obs=obs, var=pd.DataFrame(index=pd.Index(genes).astype(str)))
    adata.var_names_make_unique()
    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    tmp = a.out + ".part"
    adata.write_h5ad(tmp)
    os.replace(tmp, a.out)
    print(f"{a.out}: {x.shape[0]} cells x {x.shape[1]} genes, {x.nnz} stored counts "
          f"({x.nnz / x.shape[0]:.0f} per cell), {obs.cell_type.nunique()} classes, seed {a.seed}")


if __name__ == "__main__":
    main()
