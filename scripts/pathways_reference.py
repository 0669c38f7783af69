#!/usr/bin/env python3
"""Reference values for Lexicell's pathway stage (Tests/PathwaysTests), from scanpy, scipy and gseapy.

On the bundled pbmc68k_reduced (adata.raw: log1p-normalised, 700 cells x 765 genes, groups `bulk_labels`):
  - scanpy rank_genes_groups(method="wilcoxon", pts=True), one-vs-rest, tie_correct False (scanpy's default)
    and True; and "CD19+ B" against reference "CD14+ Monocyte" with tie correction;
  - scipy hypergeom.sf over a small GMT subset for the markers of two groups, plus a grid of large-population
    cases with tiny tail probabilities;
  - gseapy prerank (weight 1, 1000 permutations) of the wilcoxon scores of two groups on the same subset.
Writes Tests/PathwaysTests/Fixtures/. Run: /work/venv-pw/bin/python scripts/pathways_reference.py
(scanpy 1.11.5, gseapy 1.3.1, scipy 1.17.1 made the committed files).
"""
import gzip
import os
import sys

import numpy as np
import pandas as pd
import scanpy as sc
import gseapy
import scipy
from scipy.stats import hypergeom

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "Tests", "PathwaysTests", "Fixtures")
GROUPS_FOR_SETS = ["CD19+ B", "CD56+ NK"]
PERMUTATIONS = 1000


def read_gmt(path):
    sets = []
    with gzip.open(path, "rt") as f:
        for line in f:
            parts = line.rstrip("\n").split("\t")
            sets.append((parts[0], parts[1], parts[2:]))
    return sets


def main():
    os.makedirs(OUT, exist_ok=True)
    full = sc.read_h5ad(os.path.join(ROOT, "data/datasets/pbmc68k_reduced/pbmc68k_reduced.h5ad"))
    adata = full.raw.to_adata()
    adata.obs["bulk_labels"] = full.obs["bulk_labels"].astype(str).astype("category")
    genes = list(adata.var_names)
    gene_set = set(genes)

    # 1. Wilcoxon markers.
    rows = []
    for tie in (False, True):
        sc.tl.rank_genes_groups(adata, "bulk_labels", method="wilcoxon", pts=True, tie_correct=tie,
                                use_raw=False, key_added="rgg")
        r = adata.uns["rgg"]
        for g in r["names"].dtype.names:
            df = pd.DataFrame({k: r[k][g] for k in ("names", "scores", "logfoldchanges", "pvals", "pvals_adj")})
            df["pts"] = r["pts"].loc[df["names"], g].values
            df["pts_rest"] = r["pts_rest"].loc[df["names"], g].values
            df.insert(0, "reference", "rest")
            df.insert(0, "group", g)
            df.insert(0, "tie_correct", int(tie))
            rows.append(df)
    sc.tl.rank_genes_groups(adata, "bulk_labels", groups=["CD19+ B"], reference="CD14+ Monocyte",
                            method="wilcoxon", pts=True, tie_correct=True, use_raw=False, key_added="ref")
    r = adata.uns["ref"]
    df = pd.DataFrame({k: r[k]["CD19+ B"] for k in ("names", "scores", "logfoldchanges", "pvals", "pvals_adj")})
    df["pts"] = r["pts"].loc[df["names"], "CD19+ B"].values
    df["pts_rest"] = np.nan  # scanpy gives no reference fraction with reference=
    df.insert(0, "reference", "CD14+ Monocyte")
    df.insert(0, "group", "CD19+ B")
    df.insert(0, "tie_correct", 1)
    rows.append(df)
    markers = pd.concat(rows, ignore_index=True)
    markers.to_csv(os.path.join(OUT, "pbmc_wilcoxon_scanpy.csv.gz"), index=False, float_format="%.7g")

    # 2. A small GMT subset: Hallmark, the GO/Reactome immune sets the biology checks name, and every 25th
    #    GO BP / every 10th Reactome set with at least 10 genes among the 765.
    keep = []
    hall = read_gmt(os.path.join(ROOT, "data/genesets/hallmark_human.gmt.gz"))
    keep += [s for s in hall if len(gene_set.intersection(s[2])) >= 5]
    named = {"GO:0050853", "GO:0042113", "GO:0042267", "R-HSA-983705", "R-HSA-983695"}
    for fname, step in (("go_bp_human.gmt.gz", 25), ("reactome_human.gmt.gz", 10)):
        eligible = [s for s in read_gmt(os.path.join(ROOT, "data/genesets", fname))
                    if len(gene_set.intersection(s[2])) >= 10 or s[0] in named]
        keep += [s for i, s in enumerate(eligible) if i % step == 0 or s[0] in named]
    with gzip.open(os.path.join(OUT, "pbmc_subset.gmt.gz"), "wt") as f:
        for sid, name, members in keep:
            f.write("\t".join([sid, name] + members) + "\n")
    sets = {sid: [g for g in members] for sid, _, members in keep}

    # 3. ORA: markers = tie_correct False, padj <= 0.05, logfc >= 0.25, score > 0; universe = genes expressed
    #    in at least one cell (all 765 here).
    X = adata.X
    expressed = np.asarray((X != 0).sum(axis=0)).ravel() > 0
    universe = [g for g, e in zip(genes, expressed) if e]
    uset = set(universe)
    ora_rows = []
    base = markers[(markers.tie_correct == 0) & (markers.reference == "rest")]
    for group in GROUPS_FOR_SETS:
        m = base[base.group == group]
        selected = set(m[(m.pvals_adj <= 0.05) & (m.logfoldchanges >= 0.25) & (m.scores > 0)].names) & uset
        for sid, members in sets.items():
            inu = uset.intersection(members)
            if not inu:
                continue
            k = len(inu & selected)
            p = hypergeom.sf(k - 1, len(universe), len(inu), len(selected))
            ora_rows.append((group, sid, len(universe), len(inu), len(selected), k, p))
    ora = pd.DataFrame(ora_rows, columns=["group", "set_id", "population", "successes", "draws", "overlap", "p"])
    ora.to_csv(os.path.join(OUT, "pbmc_ora_scipy.csv"), index=False, float_format="%.17g")
    grid = []
    for M in (765, 5000, 20000):
        for n in (15, 120, 480):
            for N in (40, 300, 1500):
                if N >= M:
                    continue
                mean = n * N / M
                for k in sorted({0, 1, int(mean), int(mean) + 3, int(mean * 3) + 5, min(n, N)}):
                    if k <= min(n, N):
                        grid.append((M, n, N, k, hypergeom.sf(k - 1, M, n, N)))
    pd.DataFrame(grid, columns=["population", "successes", "draws", "overlap", "p"]).to_csv(
        os.path.join(OUT, "hypergeom_grid_scipy.csv"), index=False, float_format="%.17g")

    # 4. gseapy prerank of the tie_correct=False wilcoxon scores (all genes), min_size 5, max_size 500.
    for group in GROUPS_FOR_SETS:
        m = base[base.group == group]
        rnk = pd.Series(m.scores.values.astype(np.float64), index=m.names.values)
        res = gseapy.prerank(rnk=rnk, gene_sets=sets, min_size=5, max_size=500, permutation_num=PERMUTATIONS,
                             weight=1.0, seed=0, threads=1, outdir=None, no_plot=True, verbose=False)
        tag = group.replace("+", "").replace(" ", "_")
        res.ranking.to_csv(os.path.join(OUT, f"pbmc_prerank_ranking_{tag}.csv"), header=["score"],
                           index_label="gene", float_format="%.7g")
        d = res.res2d[["Term", "ES", "NES", "NOM p-val", "FDR q-val", "Lead_genes"]]
        d.to_csv(os.path.join(OUT, f"pbmc_prerank_gseapy_{tag}.csv"), index=False, float_format="%.7g")
    with open(os.path.join(OUT, "VERSIONS.txt"), "w") as f:
        f.write(f"scanpy {sc.__version__}\ngseapy {gseapy.__version__}\nscipy {scipy.__version__}\n"
                f"numpy {np.__version__}\npandas {pd.__version__}\npython {sys.version.split()[0]}\n")


if __name__ == "__main__":
    main()
