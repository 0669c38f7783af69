#!/usr/bin/env python3
"""Tables for scripts/zeroshot_compare.sh (stdlib only): zero-shot modes on all cells, the same modes on each
benchmark seed's test cells, and the supervised learning curve at 1, 3 and 10 cells per class.

Usage: zeroshot_table.py OUT W
"""
import csv, gzip, json, os, statistics, sys

OUT, W = sys.argv[1], sys.argv[2]
ROMANOV = "data/datasets/romanov2017_hypothalamus_neurons"
PBMC_OBS = "data/datasets/pbmc68k_reduced/pbmc68k_reduced_obs.csv"
MODES = ["marker_only", "marker_raw_auc", "knowledge_only", "combined", "random_knowledge_only", "random_combined"]
NAMES = {"marker_only": "marker-only (w = 0)", "marker_raw_auc": "marker-only, raw AUC (no z)", "knowledge_only": "knowledge-only (w = 1)", "combined": f"combined (w = {W})",
         "random_knowledge_only": "random vectors, knowledge-only", "random_combined": f"random vectors, combined (w = {W})"}


def metrics(truth, pred):
    """Accuracy and macro F1 as ClassificationMetrics: macro over the classes in truth or prediction."""
    n = len(truth)
    acc = sum(t == p for t, p in zip(truth, pred)) / n
    f1s = []
    for c in sorted(set(truth) | set(pred)):
        tp = sum(t == c and p == c for t, p in zip(truth, pred))
        npred = sum(p == c for p in pred)
        ntrue = sum(t == c for t in truth)
        if npred == 0 and ntrue == 0:
            continue
        prec = tp / npred if npred else 0
        rec = tp / ntrue if ntrue else 0
        f1s.append(2 * prec * rec / (prec + rec) if prec + rec else 0)
    return acc, sum(f1s) / len(f1s)


def msd(xs):
    return f"{statistics.mean(xs):.3f} ± {statistics.stdev(xs):.3f}" if len(xs) > 1 else f"{xs[0]:.3f}"


def dataset_cells(name):
    """(cell, label) in the order `benchmark` reads them (data order)."""
    if name == "pbmc":
        return [(r["cell"], r["bulk_labels"]) for r in csv.DictReader(open(PBMC_OBS))]
    meta = {r["cell"]: r["Author_CellType"] for r in csv.DictReader(open(f"{ROMANOV}/cell_metadata.csv"))}
    with gzip.open(f"{ROMANOV}/barcodes.tsv.gz", "rt") as f:
        return [(b, meta.get(b)) for b in (l.strip() for l in f) if b]


print(f"## Zero-shot from marker files (knowledge weight w = {W}, chosen on GABA-6)\n")
print("All cells of each query (best label, no threshold); accuracy / macro F1:\n")
runs = [("pbmc", "pbmc68k (10 types, 700 cells)"), ("romanov27", "Romanov, the 27 types outside GABA-6 (539 cells)"),
        ("romanov33", "Romanov 33 types (667 cells; includes GABA-6)"), ("gaba6", "GABA-6 (128 cells; the selection set)")]
print("| query | " + " | ".join(NAMES[m] for m in MODES) + " |")
print("|---|" + "---|" * len(MODES))
for key, label in runs:
    path = f"{OUT}/zs-{key}/zeroshot.json"
    if not os.path.exists(path):
        continue
    modes = {m["mode"]: m for m in json.load(open(path))["modes"]}
    order = ["marker-only", "marker-only, raw AUC", "knowledge-only", "combined", "random-vector knowledge-only", "random-vector combined"]
    print(f"| {label} | " + " | ".join(f"{modes[o]['accuracy']:.3f} / {modes[o]['macroF1']:.3f}" for o in order) + " |")

for key, zs in [("pbmc", "pbmc"), ("romanov33", "romanov33"), ("gaba6", "gaba6")]:
    bench = f"{OUT}/sup-{key}/benchmark.json"
    if not os.path.exists(bench):
        continue
    doc = json.load(open(bench))["evaluation"]
    classes = doc["dataset"]["classes"]
    cells = [c for c in dataset_cells(key) if c[1] in set(classes)]
    assert len(cells) == doc["dataset"]["cells"], (key, len(cells), doc["dataset"]["cells"])
    rows = {r["cell"]: r for r in csv.DictReader(open(f"{OUT}/zs-{zs}/zeroshot_modes.csv"))}
    splits = doc["methods"][0]["splits"]
    per_mode = {m: ([], []) for m in MODES}
    for s in splits:
        test = [cells[i][0] for i in s["test"]]
        truth = [classes[t] for t in s["truth"]]
        assert truth == [cells[i][1] for i in s["test"]], "benchmark cell order differs from the data order"
        for m in MODES:
            a, f = metrics(truth, [rows[c][m] for c in test])
            per_mode[m][0].append(a)
            per_mode[m][1].append(f)
    curve = list(csv.DictReader(open(f"{OUT}/sup-{key}/learning_curve.csv")))
    print(f"\n### {key}: on each seed's test cells ({len(splits)} seeds, {len(splits[0]['test'])} test cells each); mean ± s.d.\n")
    print("| method | training cells per class | accuracy | macro F1 |\n|---|---|---|---|")
    for m in MODES:
        print(f"| zero-shot {NAMES[m]} | 0 | {msd(per_mode[m][0])} | {msd(per_mode[m][1])} |")
    for r in curve:
        print(f"| {r['method']} | {r['cells_per_class']} | {float(r['accuracy_mean']):.3f} ± {float(r['accuracy_sd']):.3f} | "
              f"{float(r['macro_f1_mean']):.3f} ± {float(r['macro_f1_sd']):.3f} |")
    for ref in ["marker_only", "marker_raw_auc"]:
        for i, what in [(0, "accuracy"), (1, "macro F1")]:
            d = [x - y for x, y in zip(per_mode["combined"][i], per_mode[ref][i])]
            print(f"\ncombined − {NAMES[ref]} per seed ({what}): {', '.join(f'{x:+.3f}' for x in d)}")
