"""scikit-learn counterpart of HeadsBenchmark.run (Sources/LexicellMap/Heads/HeadsBenchmark.swift).

Same recipe (numpy's own draws): 30,000 x 2,000 float32, 20 classes, class centres N(0, 0.3^2) on the first 100
features, N(0,1) noise, labels round-robin, a test set of rows/5 cells drawn alike. Times
LogisticRegression(C, lbfgs, tol) and LinearSVC(C, squared hinge, tol) fits: "svc" is LinearSVC's defaults
(dual="auto", which picks liblinear's primal Newton solver when rows > features), "svc-dual" forces dual=True
(liblinear's dual coordinate descent, the algorithm of Lexicell's LinearSVM). For LinearSVC the primal objective
summed over the one-vs-rest problems (as LinearSVM.objective) is printed.

Usage: python scripts/heads_bench.py [--models lr,svc,svc-dual] [--rows 30000] [--cols 2000] [--classes 20] [--c 1] [--tol 1e-4] [--threads 2]
(threads: OPENBLAS/OMP threads, set before numpy loads)
"""
import argparse
import os
import sys
import time

ap = argparse.ArgumentParser()
ap.add_argument("--rows", type=int, default=30000)
ap.add_argument("--cols", type=int, default=2000)
ap.add_argument("--classes", type=int, default=20)
ap.add_argument("--signal", type=int, default=100)
ap.add_argument("--centre-scale", type=float, default=0.3)
ap.add_argument("--c", type=float, default=1.0)
ap.add_argument("--tol", type=float, default=1e-4)
ap.add_argument("--seed", type=int, default=0)
ap.add_argument("--threads", type=int, default=2)
ap.add_argument("--models", default="lr,svc", help="comma-separated: lr, svc, svc-dual")
args = ap.parse_args()
for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = str(args.threads)

import numpy as np  # noqa: E402
import sklearn  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.svm import LinearSVC  # noqa: E402


def data(rng):
    centres = np.zeros((args.classes, args.cols), dtype=np.float32)
    centres[:, : args.signal] = args.centre_scale * rng.standard_normal((args.classes, min(args.signal, args.cols)))

    def draw(n):
        y = np.arange(n) % args.classes
        return (centres[y] + rng.standard_normal((n, args.cols), dtype=np.float32)).astype(np.float32), y

    return draw(args.rows), draw(max(args.rows // 5, 1))


def main():
    (x, y), (xt, yt) = data(np.random.default_rng(args.seed))
    print(f"scikit-learn {sklearn.__version__}, numpy {np.__version__}, {args.threads} threads")
    models = {
        "lr": ("LogisticRegression", LogisticRegression(C=args.c, tol=args.tol, max_iter=1000)),
        "svc": ("LinearSVC", LinearSVC(C=args.c, tol=args.tol, max_iter=1000)),
        "svc-dual": ("LinearSVC(dual=True)", LinearSVC(C=args.c, tol=args.tol, max_iter=1000, dual=True)),
    }
    for name, model in [models[m] for m in args.models.split(",")]:
        t0 = time.perf_counter()
        model.fit(x, y)
        seconds = time.perf_counter() - t0
        it = np.max(model.n_iter_)
        extra = f", objective {svc_objective(model, x, y):.6g}" if isinstance(model, LinearSVC) else ""
        print(f"{name} {args.rows}x{args.cols}, {args.classes} classes, C={args.c:g}, tol={args.tol:g}: "
              f"{seconds:.2f} s, {it} iterations{extra}, train {np.mean(model.predict(x) == y):.4f}, "
              f"test {np.mean(model.predict(xt) == yt):.4f}", flush=True)


def svc_objective(model, x, y):
    """Sum over one-vs-rest problems of 0.5|w|^2 + 0.5 b^2 + C sum max(0, 1 - y f)^2 (no class weights)."""
    coef, intercept = model.coef_.astype(np.float64), model.intercept_.astype(np.float64)
    z = x.astype(np.float64) @ coef.T + intercept
    total = 0.0
    for k in range(coef.shape[0]):
        sign = np.where(y == model.classes_[k if coef.shape[0] > 1 else 1], 1.0, -1.0)
        slack = np.maximum(0.0, 1.0 - sign * z[:, k])
        total += 0.5 * (coef[k] @ coef[k] + intercept[k] ** 2) + args.c * slack @ slack
    return total


if __name__ == "__main__":
    sys.exit(main())
