#!/usr/bin/env python3
"""Reference values for the sparse all-genes candidate (Tests/ClassifyTests/SparseLogisticRegressionTests.swift and
Tests/PipelineTests/AllGenesTests.swift), computed with scanpy and scikit-learn.

Synthetic counts (seeded negative binomial, 4 classes with class-specific genes, many genes unexpressed in the
training cells) are split into training and test cells. The features are built as Lexicell's all-genes
representation documents them, with scanpy's functions:
  normalize_total(target_sum=1e4) + log1p; keep genes expressed (> 0) in >= 1 training cell with non-zero
  variance; divide each gene by its training s.d. (ddof = 1), no centring; clip values above 10.
Then scikit-learn's LogisticRegression (lbfgs, L2, multinomial; tol 1e-10 so it sits at the optimum) is fitted
on the sparse training features for C = 0.05 (4 classes) and C = 0.5 (the first two classes only: binomial).
Writes Tests/ClassifyTests/Fixtures/sparse_lr_sklearn.json.

Run: /work/venv-ct/bin/python scripts/sparse_lr_compare_sklearn.py
"""
import json, os, sys
import numpy as np
import scipy.sparse as sp
import anndata as ad
import scanpy as sc
from sklearn.linear_model import LogisticRegression

root = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
rng = np.random.default_rng(17)
n_cells, n_genes, k = 120, 400, 4
labels = np.repeat(np.arange(k), n_cells // k)
mu = rng.gamma(0.3, 2.0, size=n_genes)            # many near-zero genes
mu[300:] = 0                                        # genes 300.. never expressed
means = np.tile(mu, (n_cells, 1))
for c in range(k):                                  # 15 marker genes per class
    means[labels == c, c * 15:(c + 1) * 15] *= 6
size = rng.uniform(0.5, 2.0, size=(n_cells, 1))
counts = rng.negative_binomial(2, 2 / (2 + means * size)).astype(np.float32)
counts[:, 280:300][rng.random((n_cells, 20)) < 0.97] = 0   # rarely expressed genes
is_train = (np.arange(n_cells) % 5) != 0
# a few genes expressed only in test cells (must be dropped)
counts[is_train, 290:295] = 0
counts[~is_train, 290:295] = 3

X = sp.csr_matrix(counts)
a = ad.AnnData(X.copy())
sc.pp.normalize_total(a, target_sum=1e4)
sc.pp.log1p(a)
L = sp.csr_matrix(a.X)
Ltr, Lte = L[is_train], L[~is_train]
expressed = np.asarray((Ltr > 0).sum(axis=0)).ravel()
dense_tr = Ltr.toarray().astype(np.float64)
sd = dense_tr.std(axis=0, ddof=1)
keep = np.where((expressed >= 1) & (sd > 0))[0]


def features(m):
    f = sp.csr_matrix(m[:, keep].multiply(1 / sd[keep]).astype(np.float64))
    f.data = np.minimum(f.data, 10)
    f.eliminate_zeros()
    f.sort_indices()
    return f


Ftr, Fte = features(Ltr), features(Lte)
ytr = labels[is_train]


def fit(C, rows_tr, rows_te, y):
    m = LogisticRegression(C=C, solver="lbfgs", tol=1e-10, max_iter=100000).fit(Ftr[rows_tr], y)
    return {"c": C, "coef": m.coef_.tolist(), "intercept": m.intercept_.tolist(),
            "test_probabilities": m.predict_proba(Fte[rows_te]).tolist(),
            "train_rows": np.where(rows_tr)[0].tolist(), "test_rows": np.where(rows_te)[0].tolist()}


multi = fit(0.05, np.ones(Ftr.shape[0], bool), np.ones(Fte.shape[0], bool), ytr)
binary_tr, binary_te = ytr < 2, labels[~is_train] < 2
binary = fit(0.5, binary_tr, binary_te, ytr[binary_tr])


def csr(m):
    return {"rows": m.shape[0], "cols": m.shape[1], "indptr": m.indptr.tolist(), "indices": m.indices.tolist(),
            "values": m.data.tolist()}


out = {"counts": csr(sp.csr_matrix(counts)), "labels": labels.tolist(), "is_train": is_train.tolist(),
       "kept_genes": keep.tolist(), "train_features": csr(Ftr), "test_features": csr(Fte),
       "multinomial": multi, "binary": binary}
path = os.path.join(root, "Tests/ClassifyTests/Fixtures/sparse_lr_sklearn.json")
with open(path, "w") as f:
    json.dump(out, f)
print(f"wrote {path}: {len(keep)} of {n_genes} genes kept, train nnz {Ftr.nnz}")
