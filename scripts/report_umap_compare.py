#!/usr/bin/env python3
"""Side-by-side UMAP comparison: umap-learn vs Lexicell's Swift UMAP on the same inputs, on this machine.

Inputs (written to --workdir as .npy, float32):
  mixture_20000x50   seeded Gaussian mixture, 20,000 points in 50-d (24 clusters, unequal sizes and spreads)
  romanov_845x384    Romanov 2017 hypothalamus cells (data/datasets/romanov2017_hypothalamus_neurons):
                     mean of seeded random 384-d gene vectors over each cell's 20 most expressed genes
                     (the method's random-gene-vector control), cosine metric
Each side runs in a fresh process; wall time includes interpreter/numba start-up for umap-learn and process
start-up for Swift. Trustworthiness (k = 15) of both embeddings is computed here by one function (the formula
of sklearn.manifold.trustworthiness, chunked; checked against sklearn on the small set).

Usage:
  .venv-report/bin/python scripts/report_umap_compare.py --lexicell "lexicell bench-umap" [--workdir out/umap-compare]
The Lexicell command is called as: <cmd> <input.npy> <output.npy> <euclidean|cosine> and must print a line
containing embed_seconds=<s>.
"""
import argparse
import gzip
import os
import resource
import shlex
import subprocess
import sys
import time

import numpy as np


def make_mixture(path, n=20000, d=50, clusters=24, seed=7):
    rng = np.random.default_rng(seed)
    weights = rng.dirichlet(np.full(clusters, 2.0))
    sizes = np.maximum(1, np.round(weights * n).astype(int))
    sizes[-1] = n - sizes[:-1].sum()
    centers = rng.normal(0, 3.0, size=(clusters, d))
    spreads = rng.uniform(0.6, 1.6, size=clusters)
    parts, labels = [], []
    for c, (m, s) in enumerate(zip(sizes, spreads)):
        parts.append(centers[c] + rng.normal(0, s, size=(m, d)))
        labels += [f"cluster {c}"] * m
    x = np.vstack(parts).astype(np.float32)
    order = rng.permutation(n)
    np.save(path, x[order])
    return [labels[i] for i in order]


def make_romanov(path, data_dir, d=384, top=20, seed=11):
    import scipy.io
    with gzip.open(os.path.join(data_dir, "matrix.mtx.gz")) as f:
        counts = scipy.io.mmread(f).tocsc()  # genes × cells
    genes, cells = counts.shape
    rng = np.random.default_rng(seed)
    gene_vectors = rng.normal(size=(genes, d)).astype(np.float32)
    totals = np.asarray(counts.sum(axis=0)).ravel()
    x = np.zeros((cells, d), dtype=np.float32)
    for j in range(cells):
        start, end = counts.indptr[j], counts.indptr[j + 1]
        idx, val = counts.indices[start:end], counts.data[start:end]
        expr = np.log1p(val / totals[j] * 1e4)
        chosen = idx[np.argsort(-expr, kind="stable")[:top]]
        x[j] = gene_vectors[chosen].mean(axis=0)
    np.save(path, x)
    import csv
    with open(os.path.join(data_dir, "cell_metadata.csv"), newline="", encoding="utf-8") as f:
        labels = [row["Author_CellType"] for row in csv.DictReader(f)]
    assert len(labels) == cells, (len(labels), cells)
    return labels


def trustworthiness(x, e, k=15, metric="euclidean", chunk=400):
    """sklearn.manifold.trustworthiness, computed a block of rows at a time (ties by lower index)."""
    x = x.astype(np.float64)
    e = e.astype(np.float64)
    n = x.shape[0]
    if metric == "cosine":
        x = x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-300)
    sq = (x * x).sum(1)
    esq = (e * e).sum(1)
    penalty = 0
    for s in range(0, n, chunk):
        rows = np.arange(s, min(n, s + chunk))
        if metric == "cosine":
            dist = np.clip(1 - x[rows] @ x.T, 0, 2)
        else:
            dist = np.maximum(sq[rows, None] + sq[None, :] - 2 * x[rows] @ x.T, 0)
        dist[np.arange(len(rows)), rows] = np.inf
        edist = esq[rows, None] + esq[None, :] - 2 * e[rows] @ e.T
        edist[np.arange(len(rows)), rows] = np.inf
        nbrs = np.argsort(edist, axis=1, kind="stable")[:, :k]
        t = np.take_along_axis(dist, nbrs, axis=1)
        ranks = (dist[:, None, :] < t[:, :, None]).sum(-1) + 1
        penalty += np.maximum(ranks - k, 0).sum()
    return 1 - penalty * (2.0 / (n * k * (2.0 * n - 3.0 * k - 1.0)))


UMAP_LEARN = """
import sys, time, numpy as np
t0 = time.time()
import umap
x = np.load(sys.argv[1])
e = umap.UMAP(random_state=None if sys.argv[4] == "parallel" else 42, metric=sys.argv[3]).fit_transform(x)
np.save(sys.argv[2], e.astype(np.float32))
print(f"inside_seconds={time.time() - t0:.3f}")
"""


def timed(cmd):
    """Wall seconds, CPU seconds (user + system of the child) and stdout of one fresh process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.time()
    out = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.time() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if out.returncode != 0:
        sys.exit(f"command failed: {cmd}\n{out.stderr}")
    return wall, cpu, out.stdout.strip()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lexicell", required=True, help='command prefix, e.g. "lexicell bench-umap"')
    ap.add_argument("--workdir", default="out/umap-compare")
    ap.add_argument("--data", default="data/datasets/romanov2017_hypothalamus_neurons")
    ap.add_argument("--modes", default="deterministic,parallel",
                    help="deterministic (Lexicell: 2 blocks), sequential (one block), parallel (Hogwild); umap-learn seeded unless parallel")
    args = ap.parse_args()
    os.makedirs(args.workdir, exist_ok=True)
    import sklearn
    import umap
    print(f"umap-learn {umap.__version__}, scikit-learn {sklearn.__version__}, numpy {np.__version__}, "
          f"{os.cpu_count()} CPUs")

    sets = []
    mix = os.path.join(args.workdir, "mixture_20000x50.npy")
    labels = make_mixture(mix)
    open(os.path.join(args.workdir, "mixture_labels.txt"), "w").write("\n".join(labels) + "\n")
    sets.append(("mixture 20,000 × 50", mix, "euclidean"))
    rom = os.path.join(args.workdir, "romanov_845x384.npy")
    labels = make_romanov(rom, args.data)
    open(os.path.join(args.workdir, "romanov_labels.txt"), "w").write("\n".join(labels) + "\n")
    sets.append(("Romanov 845 × 384", rom, "cosine"))

    # The chunked trustworthiness must equal scikit-learn's on the small set.
    from sklearn.manifold import trustworthiness as sk_trust
    x = np.load(rom)
    rng = np.random.default_rng(0)
    probe = x[:, :2] + 0.01 * rng.normal(size=(x.shape[0], 2))
    # sklearn keeps float32 distances for float32 input, so a few near-tied ranks may differ from float64.
    assert abs(sk_trust(x, probe, n_neighbors=15, metric="cosine") - trustworthiness(x, probe, 15, "cosine")) < 1e-5

    rows = []
    for name, path, metric in sets:
        x = np.load(path)
        learn = {}  # umap-learn runs once seeded and once unseeded per input; both Lexicell seeded modes share the first
        for mode in args.modes.split(","):
            key = "parallel" if mode == "parallel" else "seeded"
            if key not in learn:
                out_l = path.replace(".npy", f"_umaplearn_{key}.npy")
                learn[key] = (out_l,) + timed([sys.executable, "-c", UMAP_LEARN, path, out_l, metric, mode])[:2]
            out_l, wall_l, cpu_l = learn[key]
            out_s = path.replace(".npy", f"_lexicell_{mode}.npy")
            cmd = shlex.split(args.lexicell) + [path, out_s, metric] + ([] if mode == "deterministic" else [mode])
            wall_s, cpu_s, line = timed(cmd)
            embed_s = next((p.split("=")[1] for p in line.split() if p.startswith("embed_seconds=")), "?")
            t_l = trustworthiness(x, np.load(out_l), 15, metric)
            t_s = trustworthiness(x, np.load(out_s), 15, metric)
            rows.append((name, metric, mode, t_l, t_s, wall_l, wall_s, embed_s, cpu_l, cpu_s))
            print(f"{name} [{mode}]: umap-learn T={t_l:.4f} {wall_l:.1f}s wall {cpu_l:.1f}s CPU | lexicell "
                  f"T={t_s:.4f} {wall_s:.1f}s wall {cpu_s:.1f}s CPU (embed {embed_s}s)", flush=True)

    print(f"\nmachine load average at end: {os.getloadavg()}")
    print("\n| data | metric | mode | T(15) umap-learn | T(15) Lexicell | wall s umap-learn | wall s Lexicell "
          "(embed only) | CPU s umap-learn | CPU s Lexicell |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for name, metric, mode, t_l, t_s, wall_l, wall_s, embed_s, cpu_l, cpu_s in rows:
        print(f"| {name} | {metric} | {mode} | {t_l:.4f} | {t_s:.4f} | {wall_l:.1f} | {wall_s:.1f} ({embed_s}) "
              f"| {cpu_l:.1f} | {cpu_s:.1f} |")


if __name__ == "__main__":
    main()
