#!/usr/bin/env python3
"""CellTypist, scanpy ingest and LR on HVGs on exactly Lexicell's splits.

Reads a Lexicell `predictions.csv` (from `lexicell evaluate`/`benchmark`; columns method, seed, cell, true_label,
predicted_label, ...). The test cells of a seed are that seed's rows (of the reference method, default `auto`);
the training cells are the complement within the evaluated cells (every cell whose label is one of the classes
in the file: Lexicell keeps exactly the chosen classes). Each seed, on the training cells only:
  - CellTypist 1.7.1 as its documentation recommends: counts normalised to 10,000 per cell + log1p (left as is
    when the matrix is already log-normalised), `celltypist.train(check_expression=True)` with default settings (random_state = the seed),
    without and with `feature_selection=True` (top 300 genes per class, refit); `celltypist.annotate` on the
    test cells without majority voting;
  - scanpy `tl.ingest`: HVGs (2000; seurat_v3 on counts, else seurat), scale (max 10), 30 PCs and a 15-NN graph
    on the training cells; test cells scaled with the training means/s.d.s and mapped onto them (label by KNN);
  - LR on HVGs: the same scaled HVGs, scikit-learn LogisticRegression(C=1, max_iter=1000).
Scores are Lexicell's: accuracy and macro F1 over the classes occurring in truth or prediction (scikit-learn's
default, as LexicellClassify/Validation/ClassificationMetrics.swift; scripts/metrics_reference.py). Lexicell's own methods are re-scored from
the file. Prints mean ± s.d. (n − 1) over seeds and per-seed paired differences against the reference method.

Example (Romanov 33 types):
  /work/venv-ct/bin/python scripts/compare_celltypist.py --predictions out/eval-romanov33/predictions.csv \
      --data data/datasets/romanov2017_hypothalamus_neurons \
      --labels data/datasets/romanov2017_hypothalamus_neurons/cell_metadata.csv --label-column Author_CellType
  pbmc68k: --data data/datasets/pbmc68k_reduced/pbmc68k_reduced.h5ad --raw --obs-column bulk_labels
"""
import argparse, gzip, json, os, sys, time, warnings
import numpy as np
import pandas as pd
import scipy.io, scipy.sparse as sp

warnings.filterwarnings("ignore")


def read_data(path, raw):
    import anndata as ad
    if os.path.isdir(path):
        X = scipy.io.mmread(os.path.join(path, "matrix.mtx.gz")).T.tocsr().astype(np.float32)  # cells x genes
        genes = [l.rstrip("\n").split("\t")[0] for l in gzip.open(os.path.join(path, "features.tsv.gz"), "rt")]
        cells = [l.strip() for l in gzip.open(os.path.join(path, "barcodes.tsv.gz"), "rt")]
        a = ad.AnnData(X=X, obs=pd.DataFrame(index=cells), var=pd.DataFrame(index=genes))
    else:
        a = ad.read_h5ad(path)
        if raw:
            obs = a.obs
            a = a.raw.to_adata()
            a.obs = obs
        a.X = sp.csr_matrix(a.X, dtype=np.float32)
    a.var_names_make_unique()
    return a


def metrics(truth, predicted):
    from sklearn.metrics import accuracy_score, f1_score
    return accuracy_score(truth, predicted), f1_score(truth, predicted, average="macro", zero_division=0)


def looks_like_counts(X):
    d = X.data if sp.issparse(X) else np.asarray(X).ravel()
    return bool(np.all(d >= 0) and np.allclose(d, np.round(d)))


def log_normalised(a):
    import scanpy as sc
    b = a.copy()
    if looks_like_counts(b.X):
        sc.pp.normalize_total(b, target_sum=1e4)
        sc.pp.log1p(b)
    return b


def celltypist_input(log_all):
    """CellTypist expects log1p of counts normalised to 10,000 per cell. A log-normalised matrix over a subset of
    genes (pbmc68k_reduced's .raw) is brought back to that with a per-cell rescale: expm1, normalise to 10,000,
    log1p (no information crosses cells)."""
    import scanpy as sc
    totals = np.asarray(np.expm1(log_all.X).sum(axis=1)).ravel()
    if np.all(np.abs(totals - 1e4) <= 1):
        return log_all
    b = log_all.copy()
    b.X = b.X.expm1() if sp.issparse(b.X) else np.expm1(b.X)
    sc.pp.normalize_total(b, target_sum=1e4)
    sc.pp.log1p(b)
    print("CellTypist input: log-normalised matrix renormalised to 10,000 per cell over its genes", file=sys.stderr)
    return b


def run_celltypist(train, test, feature_selection, jobs, seed):
    import celltypist
    # random_state reaches scikit-learn's estimators: the SGD first pass of feature selection is otherwise
    # unseeded (the lbfgs fits ignore it).
    model = celltypist.train(train, labels="label", check_expression=True, feature_selection=feature_selection, n_jobs=jobs,
                             random_state=seed)
    out = celltypist.annotate(test, model=model, majority_voting=False)
    return out.predicted_labels["predicted_labels"].astype(str).to_numpy()


def hvg_scaled(train_counts, train_log, test_log, n_top=2000):
    import scanpy as sc
    if looks_like_counts(train_counts.X):
        h = sc.pp.highly_variable_genes(train_counts, flavor="seurat_v3", n_top_genes=n_top, inplace=False)
    else:
        h = sc.pp.highly_variable_genes(train_log, flavor="seurat", n_top_genes=n_top, inplace=False)
    genes = train_log.var_names[np.asarray(h["highly_variable"])]
    xt = train_log[:, genes].X.toarray().astype(np.float64)
    xq = test_log[:, genes].X.toarray().astype(np.float64)
    mean, sd = xt.mean(0), xt.std(0, ddof=1)
    sd[sd == 0] = 1
    return genes, np.clip((xt - mean) / sd, -10, 10), np.clip((xq - mean) / sd, -10, 10)


def run_ingest(genes, xt, xq, ytrain):
    import anndata as ad, scanpy as sc
    ref = ad.AnnData(X=xt.astype(np.float32), obs=pd.DataFrame({"label": pd.Categorical(ytrain)}), var=pd.DataFrame(index=genes))
    query = ad.AnnData(X=xq.astype(np.float32), var=pd.DataFrame(index=genes))
    sc.pp.pca(ref, n_comps=min(30, min(xt.shape) - 1), svd_solver="arpack")
    sc.pp.neighbors(ref, n_neighbors=15)
    sc.tl.ingest(query, ref, obs="label", embedding_method="pca")
    return query.obs["label"].astype(str).to_numpy()


def run_lr(xt, xq, ytrain):
    from sklearn.linear_model import LogisticRegression
    return LogisticRegression(C=1.0, max_iter=1000).fit(xt, ytrain).predict(xq)


def mean_sd(v):
    v = np.asarray(v, float)
    return v.mean(), (v.std(ddof=1) if len(v) > 1 else 0.0)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--predictions", required=True)
    p.add_argument("--data", required=True)
    p.add_argument("--raw", action="store_true", help="h5ad: use .raw")
    p.add_argument("--labels", help="CSV of labels (first column: cell)")
    p.add_argument("--label-column", default="Author_CellType")
    p.add_argument("--obs-column", help="h5ad obs column with the labels")
    p.add_argument("--reference", default="auto", help="Lexicell method the differences are taken against")
    p.add_argument("--skip", default="", help="comma-separated: celltypist,celltypist-fs,ingest,lr-hvg")
    p.add_argument("--jobs", type=int, default=2)
    p.add_argument("--json", help="also write the per-seed scores here")
    p.add_argument("--load-json", help="take the external methods' per-seed scores from an earlier --json instead of rerunning them")
    p.add_argument("--also", action="append", default=[], metavar="LABEL=PATH",
                   help="add another predictions.csv's rows of method LABEL (else of the reference method, renamed LABEL); same splits")
    args = p.parse_args()

    pred = pd.read_csv(args.predictions, dtype={"cell": str, "true_label": str, "predicted_label": str})
    for also in args.also:
        label, path = also.split("=", 1)
        other = pd.read_csv(path, dtype={"cell": str, "true_label": str, "predicted_label": str})
        # that file's LABEL rows (e.g. `--method auto-allgenes`), else its reference-method rows renamed LABEL
        other = other[other["method"] == (label if (other["method"] == label).any() else args.reference)].assign(method=label)
        mine = pred[pred["method"] == args.reference]
        for s in set(mine["seed"]):
            assert sorted(other[other["seed"] == s]["cell"]) == sorted(mine[mine["seed"] == s]["cell"]), f"{path}: other test cells"
        pred = pd.concat([pred, other], ignore_index=True)
    a = read_data(args.data, args.raw)
    if args.labels:
        lab = pd.read_csv(args.labels, dtype=str)
        lab = lab.set_index(lab.columns[0])[args.label_column]
        labels = lab.reindex(a.obs_names)
    else:
        labels = a.obs[args.obs_column].astype(str)
    classes = sorted(set(pred["true_label"]))
    keep = labels.isin(classes).to_numpy()
    a = a[keep].copy()
    a.obs["label"] = labels[keep].astype(str).to_numpy()
    log_all = log_normalised(a)  # per-cell normalisation: no information crosses cells
    ct_all = celltypist_input(log_all)
    print(f"{args.data}: {a.n_obs} cells in {len(classes)} classes, {a.n_vars} genes; "
          f"{'counts' if looks_like_counts(a.X) else 'log-normalised input'}", file=sys.stderr)

    ref = pred[pred["method"] == args.reference]
    if ref.empty:
        sys.exit(f"no rows of method '{args.reference}' in {args.predictions} (methods: {sorted(set(pred['method']))})")
    seeds = sorted(set(ref["seed"]))
    skip = set(s for s in args.skip.split(",") if s)
    scores = {}  # method -> seed -> (acc, f1)
    for m, rows in pred.groupby("method"):
        for s, r in rows.groupby("seed"):
            scores.setdefault(m, {})[s] = metrics(r["true_label"], r["predicted_label"])
    index = {c: i for i, c in enumerate(a.obs_names)}
    if args.load_json:
        with open(args.load_json) as f:
            for m, d in json.load(f).items():
                if m not in scores:
                    scores[m] = {int(k): (v["accuracy"], v["macro_f1"]) for k, v in d.items()}
        seeds_to_run = []
    else:
        seeds_to_run = seeds
    for s in seeds_to_run:
        r = ref[ref["seed"] == s]
        test_idx = np.array([index[c] for c in r["cell"]])
        is_test = np.zeros(a.n_obs, bool)
        is_test[test_idx] = True
        train_idx = np.where(~is_test)[0]
        truth = a.obs["label"].to_numpy()[test_idx]
        assert list(truth) == list(r["true_label"]), "labels in predictions.csv differ from the dataset's"
        ytrain = a.obs["label"].to_numpy()[train_idx]
        print(f"seed {s}: {len(train_idx)} training, {len(test_idx)} test cells", file=sys.stderr)
        tr_log, te_log = log_all[train_idx].copy(), log_all[test_idx].copy()
        tr_ct, te_ct = ct_all[train_idx].copy(), ct_all[test_idx].copy()
        runs = []
        if "celltypist" not in skip:
            runs.append(("CellTypist (all genes)", lambda: run_celltypist(tr_ct.copy(), te_ct.copy(), False, args.jobs, int(s))))
        if "celltypist-fs" not in skip:
            runs.append(("CellTypist (feature_selection)", lambda: run_celltypist(tr_ct.copy(), te_ct.copy(), True, args.jobs, int(s))))
        need_hvg = not {"ingest", "lr-hvg"} <= skip
        if need_hvg:
            genes, xt, xq = hvg_scaled(a[train_idx].copy(), tr_log, te_log)
        if "ingest" not in skip:
            runs.append(("scanpy ingest (HVG PCs, KNN)", lambda: run_ingest(genes, xt, xq, ytrain)))
        if "lr-hvg" not in skip:
            runs.append(("sklearn LR on scaled HVGs (C=1)", lambda: run_lr(xt, xq, ytrain)))
        for name, fn in runs:
            t0 = time.time()
            predicted = fn()
            scores.setdefault(name, {})[s] = metrics(truth, predicted)
            print(f"  {name}: accuracy {scores[name][s][0]:.3f}, macro F1 {scores[name][s][1]:.3f} ({time.time() - t0:.0f} s)",
                  file=sys.stderr)

    base = scores[args.reference]
    print(f"\n| method | accuracy | macro F1 | Δ accuracy vs {args.reference} | Δ macro F1 vs {args.reference} | "
          f"wins/ties/losses (acc) | Δ accuracy per seed |")
    print("|---|---|---|---|---|---|---|")
    order = [args.reference] + sorted(m for m in scores if m != args.reference and m in pred["method"].values) + \
            [m for m in scores if m not in pred["method"].values]
    for m in order:
        if set(scores[m]) != set(seeds):
            continue
        acc = [scores[m][s][0] for s in seeds]
        f1 = [scores[m][s][1] for s in seeds]
        da = [scores[m][s][0] - base[s][0] for s in seeds]
        df = [scores[m][s][1] - base[s][1] for s in seeds]
        w = sum(d > 1e-12 for d in da); l = sum(d < -1e-12 for d in da)
        print(f"| {m} | {mean_sd(acc)[0]:.3f} ± {mean_sd(acc)[1]:.3f} | {mean_sd(f1)[0]:.3f} ± {mean_sd(f1)[1]:.3f} | "
              f"{mean_sd(da)[0]:+.3f} ± {mean_sd(da)[1]:.3f} | {mean_sd(df)[0]:+.3f} ± {mean_sd(df)[1]:.3f} | "
              f"{w}/{len(seeds) - w - l}/{l} | " + ", ".join(f"{d:+.3f}" for d in da) + " |")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({m: {str(s): {"accuracy": v[0], "macro_f1": v[1]} for s, v in d.items()} for m, d in scores.items()}, f, indent=1)


if __name__ == "__main__":
    main()
