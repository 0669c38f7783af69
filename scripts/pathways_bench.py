#!/usr/bin/env python3
"""Times Lexicell's pathway reading against scanpy + scipy + gseapy, side by side, on the bundled data.

Per dataset, both sides do: read the data, Wilcoxon markers one-vs-rest for every group (scanpy
rank_genes_groups, tie_correct False), ORA of each group's up-markers (padj <= 0.05, log2FC >= 0.25) on a
collection (hypergeometric, BH) and preranked GSEA of each group's z-scores on it (1000 permutations, weight 1,
sets of 15-500 genes), with 2 threads. Groups: classes with >= 10 cells (lexicell's default). Lexicell runs `lexicell pathways` (release build) end to end, including writing
its CSVs. Runs: pbmc68k_reduced (raw/X, bulk_labels: 9 groups) with GO BP; Romanov (counts log-normalised,
Author_CellType: 33 groups) with Hallmark, and with GO BP where gseapy is timed on one group and scaled to all
(a full gseapy GO BP run on Romanov takes hours on 2 cores).

Usage: swift build -c release --product lexicell
       /work/venv-pw/bin/python scripts/pathways_bench.py [--skip-python] [--permutations 1000]
"""
import argparse
import gzip
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
import pandas as pd

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.path.join(ROOT, "data")


def read_gmt(path):
    out = {}
    with gzip.open(path, "rt") as f:
        for line in f:
            p = line.rstrip("\n").split("\t")
            out[p[0]] = p[2:]
    return out


def python_side(name, collection, perms, gsea_groups=None):
    import scanpy as sc
    import gseapy
    from scipy.stats import hypergeom
    from statsmodels.stats.multitest import multipletests

    t0 = time.perf_counter()
    if name == "pbmc68k":
        full = sc.read_h5ad(os.path.join(DATA, "datasets/pbmc68k_reduced/pbmc68k_reduced.h5ad"))
        adata = full.raw.to_adata()
        adata.obs["group"] = full.obs["bulk_labels"].astype(str).values
        gmt = read_gmt(os.path.join(DATA, f"genesets/{collection}_human.gmt.gz"))
    else:
        d = os.path.join(DATA, "datasets/romanov2017_hypothalamus_neurons")
        adata = sc.read_10x_mtx(d, var_names="gene_symbols") if os.path.exists(os.path.join(d, "genes.tsv.gz")) else None
        if adata is None:
            import scipy.io
            m = scipy.io.mmread(os.path.join(d, "matrix.mtx.gz")).T.tocsr().astype(np.float32)
            genes = pd.read_csv(os.path.join(d, "features.tsv.gz"), header=None, sep="\t")[0].astype(str).values
            cells = pd.read_csv(os.path.join(d, "barcodes.tsv.gz"), header=None, sep="\t")[0].astype(str).values
            adata = sc.AnnData(m, obs=pd.DataFrame(index=cells), var=pd.DataFrame(index=genes))
            adata.var_names_make_unique()
        meta = pd.read_csv(os.path.join(d, "cell_metadata.csv"), index_col=0)
        adata.obs["group"] = meta.loc[adata.obs_names, "Author_CellType"].astype(str).values
        sc.pp.normalize_total(adata, target_sum=1e4)
        sc.pp.log1p(adata)
        gmt = read_gmt(os.path.join(DATA, f"genesets/{collection}_mouse.gmt.gz"))
    counts = adata.obs["group"].value_counts()  # classes with >= 10 cells, as lexicell's default
    adata = adata[adata.obs["group"].isin(counts[counts >= 10].index)].copy()
    adata.obs["group"] = adata.obs["group"].astype("category")
    t_read = time.perf_counter() - t0

    t0 = time.perf_counter()
    sc.tl.rank_genes_groups(adata, "group", method="wilcoxon", use_raw=False)
    t_markers = time.perf_counter() - t0

    X = adata.X
    expressed = np.asarray((X != 0).sum(axis=0)).ravel() > 0
    universe = [g for g, e in zip(adata.var_names, expressed) if e]
    uset = set(universe)
    sets = {k: [g for g in v if g in uset] for k, v in gmt.items()}
    sets = {k: v for k, v in sets.items() if 15 <= len(v) <= 500}
    r = adata.uns["rank_genes_groups"]
    groups = list(r["names"].dtype.names)

    t0 = time.perf_counter()
    for g in groups:
        df = pd.DataFrame({k: r[k][g] for k in ("names", "scores", "logfoldchanges", "pvals_adj")})
        sel = set(df[(df.pvals_adj <= 0.05) & (df.logfoldchanges >= 0.25) & (df.scores > 0)].names)
        M, N = len(universe), len(sel)
        ks = np.array([len(sel.intersection(v)) for v in sets.values()])
        ns = np.array([len(v) for v in sets.values()])
        p = hypergeom.sf(ks - 1, M, ns, N)
        multipletests(p, method="fdr_bh")
    t_ora = time.perf_counter() - t0

    t0 = time.perf_counter()
    timed = groups[:gsea_groups] if gsea_groups else groups
    for g in timed:
        df = pd.DataFrame({k: r[k][g] for k in ("names", "scores")})
        df = df[df.names.isin(uset)]
        rnk = pd.Series(df.scores.values.astype(float), index=df.names.values)
        gseapy.prerank(rnk=rnk, gene_sets=sets, min_size=15, max_size=500, permutation_num=perms, weight=1.0,
                       seed=0, threads=2, outdir=None, no_plot=True, verbose=False)
    t_gsea = (time.perf_counter() - t0) * len(groups) / len(timed)  # extrapolated when only some groups ran
    return len(groups), len(sets), {"read": t_read, "markers": t_markers, "ora": t_ora, "gsea": t_gsea}


def lexicell_side(name, collection, perms, binary):
    if name == "pbmc68k":
        args = ["--data", os.path.join(DATA, "datasets/pbmc68k_reduced/pbmc68k_reduced.h5ad"), "--raw",
                "--obs-column", "bulk_labels"]
    else:
        d = os.path.join(DATA, "datasets/romanov2017_hypothalamus_neurons")
        args = ["--data", d, "--labels", os.path.join(d, "cell_metadata.csv"), "--label-column", "Author_CellType"]
    with tempfile.TemporaryDirectory() as out:
        t0 = time.perf_counter()
        subprocess.run([binary, "pathways", *args, "--gene-sets", collection, "--permutations", str(perms),
                        "--min-cells-per-class", "10", "--out", out], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ, "LEXICELL_DATA": DATA})
        return time.perf_counter() - t0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--permutations", type=int, default=1000)
    ap.add_argument("--skip-python", action="store_true")
    ap.add_argument("--binary", default=os.path.join(ROOT, ".build/release/lexicell"))
    a = ap.parse_args()
    # (dataset, collection, groups whose gseapy prerank is timed: None = all; else the total is extrapolated)
    runs = [("pbmc68k", "go_bp", None), ("romanov", "hallmark", None), ("romanov", "go_bp", 1)]
    print(f"{'dataset':8} {'sets':>8} {'groups':>6} | {'scanpy+scipy+gseapy':>19} (read / markers / ORA / GSEA) | {'Lexicell':>9} | ratio")
    for name, collection, gsea_groups in runs:
        lex = lexicell_side(name, collection, a.permutations, a.binary)
        if a.skip_python:
            print(f"{name:8} {collection:>8} {'':>6} | {'':>19} | {lex:8.1f}s |")
            continue
        ng, ns, t = python_side(name, collection, a.permutations, gsea_groups)
        total = sum(t.values())
        parts = " / ".join(f"{t[k]:.1f}" for k in ("read", "markers", "ora", "gsea"))
        note = f"  (gseapy timed on {gsea_groups} of {ng} groups, scaled)" if gsea_groups else ""
        print(f"{name:8} {collection:>8} {ng:6d} | {total:18.1f}s ({parts}) | {lex:8.1f}s | {total / lex:5.1f}x  [{ns} sets]{note}")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
