"""Synthesises a large h5ad query from real cells: N cells, each a seeded binomial thinning (keep each count
with probability p ~ U(0.5, 1)) of a bundled Romanov 2017 cell taken in turn, written in blocks (CSR X with
float32 data and int32 indices, as anndata writes) so memory stays small. obs holds the source cell's type.
Usage: scale_make_query.py N OUT.h5ad [--seed 0]"""
import argparse
import csv
import gzip

import h5py
import numpy as np

p = argparse.ArgumentParser()
p.add_argument("n", type=int)
p.add_argument("out")
p.add_argument("--seed", type=int, default=0)
p.add_argument("--data", default="data/datasets/romanov2017_hypothalamus_neurons")
a = p.parse_args()

with gzip.open(f"{a.data}/features.tsv.gz", "rt") as f:
    genes = [line.rstrip("\n").split("\t")[1 if "\t" in line else 0] for line in f]
with gzip.open(f"{a.data}/barcodes.tsv.gz", "rt") as f:
    barcodes = [line.strip() for line in f]
types = {r["cell"]: r["Author_CellType"] for r in csv.DictReader(open(f"{a.data}/cell_metadata.csv"))}
# MatrixMarket genes x cells -> CSR cells x genes.
rows, cols, vals = [], [], []
with gzip.open(f"{a.data}/matrix.mtx.gz", "rt") as f:
    for line in f:
        if not line.startswith("%"):
            break
    for line in f:
        g, c, v = line.split()
        rows.append(int(c) - 1); cols.append(int(g) - 1); vals.append(float(v))
rows, cols, vals = np.array(rows), np.array(cols, dtype=np.int32), np.array(vals, dtype=np.float32)
order = np.lexsort((cols, rows))
rows, cols, vals = rows[order], cols[order], vals[order]
src_ptr = np.zeros(len(barcodes) + 1, dtype=np.int64)
np.add.at(src_ptr, rows + 1, 1)
src_ptr = np.cumsum(src_ptr)

rng = np.random.default_rng(a.seed)
str_dt = h5py.string_dtype("utf-8")


def enc(obj, kind, version):
    obj.attrs["encoding-type"] = kind
    obj.attrs["encoding-version"] = version


with h5py.File(a.out, "w") as f:
    enc(f, "anndata", "0.1.0")
    X = f.create_group("X")
    enc(X, "csr_matrix", "0.1.0")
    X.attrs["shape"] = np.array([a.n, len(genes)], dtype=np.int64)
    data = X.create_dataset("data", shape=(0,), maxshape=(None,), dtype=np.float32, chunks=(1 << 18,))
    ind = X.create_dataset("indices", shape=(0,), maxshape=(None,), dtype=np.int32, chunks=(1 << 18,))
    indptr = np.zeros(a.n + 1, dtype=np.int64)
    block = 5000
    for start in range(0, a.n, block):
        idx = np.arange(start, min(start + block, a.n)) % len(barcodes)
        lengths = src_ptr[idx + 1] - src_ptr[idx]
        take = np.concatenate([np.arange(src_ptr[i], src_ptr[i + 1]) for i in idx])
        keep_p = np.repeat(rng.uniform(0.5, 1.0, size=len(idx)), lengths)
        v = rng.binomial(vals[take].astype(np.int64), keep_p).astype(np.float32)
        c = cols[take]
        cell_of = np.repeat(np.arange(len(idx)), lengths)
        nz = v != 0
        counts = np.bincount(cell_of[nz], minlength=len(idx))
        indptr[start + 1 : start + len(idx) + 1] = indptr[start] + np.cumsum(counts)
        old = data.shape[0]
        data.resize((old + nz.sum(),)); data[old:] = v[nz]
        ind.resize((old + nz.sum(),)); ind[old:] = c[nz]
    X.create_dataset("indptr", data=indptr)
    for d in (data, ind, X["indptr"]):
        enc(d, "array", "0.2.0")
    obs = f.create_group("obs")
    enc(obs, "dataframe", "0.2.0")
    obs.attrs["_index"] = "_index"
    obs.attrs.create("column-order", np.array(["source_type"], dtype=object), dtype=str_dt)
    names = np.array([f"cell{i}" for i in range(a.n)], dtype=object)
    enc(obs.create_dataset("_index", data=names, dtype=str_dt), "string-array", "0.2.0")
    src = np.array([types.get(barcodes[i % len(barcodes)], "") for i in range(a.n)], dtype=object)
    cats, codes = np.unique(src, return_inverse=True)
    g = obs.create_group("source_type")
    enc(g, "categorical", "0.2.0")
    g.attrs["ordered"] = False
    enc(g.create_dataset("categories", data=cats.astype(object), dtype=str_dt), "string-array", "0.2.0")
    enc(g.create_dataset("codes", data=codes.astype(np.int16)), "array", "0.2.0")
    var = f.create_group("var")
    enc(var, "dataframe", "0.2.0")
    var.attrs["_index"] = "_index"
    var.attrs.create("column-order", np.empty(0, dtype=object), dtype=str_dt)
    enc(var.create_dataset("_index", data=np.array(genes, dtype=object), dtype=str_dt), "string-array", "0.2.0")
    for name in ["layers", "obsm", "obsp", "varm", "varp", "uns"]:
        enc(f.create_group(name), "dict", "0.1.0")
print(f"wrote {a.out}: {a.n} cells x {len(genes)} genes, {int(indptr[-1])} non-zeros")
