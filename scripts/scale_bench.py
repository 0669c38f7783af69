#!/usr/bin/env python3
"""Scale benchmark: Lexicell beside CellTypist, train and annotate, in one run that anyone can rerun.

For each training size (default 20,000 and 100,000 cells) it trains
  - Lexicell: `lexicell train --data train_N.h5ad --obs-column cell_type` (the default method, auto; what auto
    chose is kept from its `auto:` lines), and
  - CellTypist 1.7.1 with its large-data settings: normalize_total(1e4) + log1p, then
    `celltypist.train(adata, labels="cell_type", use_SGD=True, mini_batch=True, n_jobs=2)`;
and for each query size (default 20,000, 100,000 and 1,000,000 cells) it annotates the query with the bundle/model
trained on --annotate-with cells (default 20,000):
  - Lexicell: `lexicell annotate --reference BUNDLE --data query_M.h5ad` with its default options (report,
    annotated.h5ad), and
  - CellTypist: normalize_total(1e4) + log1p, `celltypist.annotate(adata, model, majority_voting=False)` and, as
    a separate measured run, `majority_voting=True`.
Accuracy and macro F1 (over the classes present in truth or prediction, as scikit-learn's default) of every
annotate run are computed against the query's obs `cell_type`.

The data are synthesised from the bundled Romanov 2017 cells by scripts/make_scale_data.py (33 types, seeded
binomial thinning; train_N.h5ad with seed 1, query_M.h5ad with seed 2) and cached in OUT/data.

Every measured step is a child process (CellTypist runs in a hidden sub-command of this script). Wall time,
CPU time (user + sys) and peak RSS come from os.wait4's rusage; a watchdog samples the summed RSS of the
child's process tree every 0.2 s and kills the tree when it exceeds --memory-cap-gib (or --time-limit-s), so
the machine never swaps: such a step is reported as "stopped: over 20 GiB at 123 s" and the run goes on.
Results: a markdown table printed as it goes (stdout; progress notes on stderr), OUT/results.md, OUT/results.json; each step's command, stdout,
stderr and figures in OUT/logs/.

Run (release binary, defaults; the full run needs a 24 GiB machine, ~65 GB of disk (the 1M-cell query is
~23 GB and Lexicell's annotated.h5ad of it ~31 GB) and about 40 minutes on 2 cores, 11 of them making the data):
    python3 -m venv V && V/bin/pip install "celltypist==1.7.1" "scikit-learn<1.8" scanpy h5py
    V/bin/python scripts/scale_bench.py --bin .build-release/release/lexicell
    make bench-scale PY=V/bin/python          # the same: release build, model, then this script
A quick check at small sizes:
    V/bin/python scripts/scale_bench.py --train-sizes 2000 --query-sizes 5000,10000 --annotate-with 2000 \\
        --out out/scale-bench-small
"""
import argparse
import csv
import datetime
import json
import os
import platform
import signal
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
LEXICELL = "Lexicell auto"
CT_TRAIN = "CellTypist SGD mini-batch"
CT_OFF = "CellTypist, majority voting off"
CT_ON = "CellTypist, majority voting on"
# Lexicell's predictions.csv has predicted_label (Unassigned below --min-confidence) and best_label (the
# classifier's top label); accuracy is scored on best_label, as CellTypist's labels are never Unassigned.
LEXICELL_LABEL_COLUMNS = ["best_label", "predicted_label"]
COLUMNS = ["step", "tool", "cells", "wall s", "CPU s", "peak GiB", "accuracy", "macro F1", "outcome"]


# ---------------------------------------------------------------- CellTypist children (hidden sub-commands)

def _log_normalise(adata):
    import scanpy as sc
    sc.pp.normalize_total(adata, target_sum=1e4)
    sc.pp.log1p(adata)


def celltypist_train(data, model_path):
    import anndata
    import celltypist
    import numpy as np
    adata = anndata.read_h5ad(data)
    _log_normalise(adata)
    np.random.seed(0)  # CellTypist's mini-batches and SGDClassifier draw from numpy's global generator
    model = celltypist.train(adata, labels="cell_type", use_SGD=True, mini_batch=True, n_jobs=2)
    model.write(model_path)


def celltypist_annotate(query, model_path, out_csv, voting):
    import anndata
    import celltypist
    adata = anndata.read_h5ad(query)
    _log_normalise(adata)
    on = voting == "on"
    result = celltypist.annotate(adata, model=model_path, majority_voting=on)
    labels = result.predicted_labels["majority_voting" if on else "predicted_labels"]
    tmp = out_csv + ".part"
    with open(tmp, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["cell", "label"])
        w.writerows(zip(labels.index.astype(str), labels.astype(str)))
    os.replace(tmp, out_csv)


# ---------------------------------------------------------------- measuring a child

def tree_rss_kib(root):
    """Summed VmRSS of a process and its descendants (0 for processes that are gone)."""
    total, stack, seen = 0, [root], set()
    while stack:
        pid = stack.pop()
        if pid in seen:
            continue
        seen.add(pid)
        try:
            with open(f"/proc/{pid}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
                        break
            for tid in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{tid}/children") as f:
                    stack.extend(int(c) for c in f.read().split())
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
    return total


def kill_group(pid):
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


class Measured:
    """One child process: its figures and how it ended."""

    def __init__(self, name, cmd, logs, cap_gib, time_limit_s):
        self.name, self.cmd = name, cmd
        self.out_path = os.path.join(logs, name + ".stdout")
        self.err_path = os.path.join(logs, name + ".stderr")
        self.log_path = os.path.join(logs, name + ".log")
        self.cap_kib = cap_gib * 1024 * 1024
        self.cap_gib, self.time_limit_s = cap_gib, time_limit_s
        self.stopped = None
        self.sampled_peak_kib = 0

    def _watch(self, pid, started, done):
        while not done.wait(0.2):
            rss = tree_rss_kib(pid)
            self.sampled_peak_kib = max(self.sampled_peak_kib, rss)
            elapsed = time.monotonic() - started
            if rss > self.cap_kib:
                self.stopped = f"stopped: over {self.cap_gib:g} GiB at {elapsed:.0f} s"
            elif elapsed > self.time_limit_s:
                self.stopped = f"stopped: over {self.time_limit_s:g} s"
            if self.stopped:
                kill_group(pid)
                return

    def run(self):
        with open(self.out_path, "wb") as out, open(self.err_path, "wb") as err:
            started = time.monotonic()
            child = subprocess.Popen(self.cmd, stdout=out, stderr=err, stdin=subprocess.DEVNULL,
                                     start_new_session=True)
            done = threading.Event()
            watchdog = threading.Thread(target=self._watch, args=(child.pid, started, done), daemon=True)
            watchdog.start()
            try:
                _, status, usage = os.wait4(child.pid, 0)
            except BaseException:
                kill_group(child.pid)
                os.wait4(child.pid, 0)
                raise
            finally:
                done.set()
                watchdog.join()
            child.returncode = os.waitstatus_to_exitcode(status)
            self.wall = time.monotonic() - started
        kill_group(child.pid)  # descendants the child left behind in its session
        self.cpu = usage.ru_utime + usage.ru_stime
        self.peak_gib = usage.ru_maxrss / (1024 * 1024)  # KiB on Linux
        code = child.returncode
        if self.stopped:
            self.outcome = self.stopped
        elif code == 0:
            self.outcome = "ok"
        elif code < 0:
            self.outcome = f"failed (signal {-code})"
        else:
            self.outcome = f"failed (exit {code})"
        with open(self.log_path, "w") as log:
            log.write(f"command: {' '.join(self.cmd)}\noutcome: {self.outcome}\nwall s: {self.wall:.1f}\n"
                      f"CPU s: {self.cpu:.1f}\npeak RSS GiB (rusage): {self.peak_gib:.3f}\n"
                      f"peak tree RSS GiB (sampled): {self.sampled_peak_kib / 1048576:.3f}\n")
            if self.outcome != "ok":
                tail = self.stderr_tail()
                log.write("last stderr lines:\n" + tail)
        return self

    @property
    def ok(self):
        return self.outcome == "ok"

    def stderr_tail(self, lines=20):
        with open(self.err_path, "rb") as f:
            f.seek(0, os.SEEK_END)
            f.seek(max(0, f.tell() - 16384))
            text = f.read().decode("utf-8", "replace").splitlines()
        return "".join(line + "\n" for line in text[-lines:])


# ---------------------------------------------------------------- accuracy

def read_truth(h5ad):
    """Cell names and integer truth codes of obs/cell_type, read with h5py (no anndata in the driver)."""
    import h5py
    import numpy as np
    with h5py.File(h5ad, "r") as f:
        names = f["obs/_index"].asstr()[:]
        group = f["obs/cell_type"]
        categories = list(group["categories"].asstr()[:])
        codes = group["codes"][:].astype(np.int64)
    return names, codes, categories


def score(truth_path, predictions, label_column):
    """Accuracy and macro F1 of a predictions CSV (cell + label_column) against the query's truth.
    A query cell without a prediction counts as wrong. F1 per class = 2 TP / (2 TP + FP + FN), averaged
    over the classes present in truth or prediction (scikit-learn's f1_score(average="macro"))."""
    import numpy as np
    names, truth, categories = read_truth(truth_path)
    code_of = {c: i for i, c in enumerate(categories)}
    missing = len(categories)  # code of "no prediction": counts as a wrong class of its own
    code_of["\0missing"] = missing
    predicted = np.full(len(names), missing, dtype=np.int64)
    row_of = None
    with open(predictions, newline="") as f:
        reader = csv.reader(f)
        header = next(reader)
        cell_at, label_at = 0, header.index(label_column)
        for i, row in enumerate(reader):
            # Rows are expected in query order; fall back to a lookup if they are not.
            if row_of is None and (i >= len(names) or names[i] != row[cell_at]):
                row_of = {n: j for j, n in enumerate(names)}
            j = i if row_of is None else row_of.get(row[cell_at])
            if j is None:
                continue
            label = row[label_at]
            if label not in code_of:
                code_of[label] = len(code_of)
            predicted[j] = code_of[label]
    k = len(code_of)
    confusion = np.bincount(truth * k + predicted, minlength=k * k).reshape(k, k)
    tp = np.diag(confusion)
    fp = confusion.sum(axis=0) - tp
    fn = confusion.sum(axis=1) - tp
    present = (confusion.sum(axis=0) + confusion.sum(axis=1)) > 0
    present[missing] = False  # "no prediction" is wrong, not a class
    f1 = 2 * tp[present] / (2 * tp[present] + fp[present] + fn[present])
    return float(tp.sum() / len(names)), float(f1.mean()), int((predicted != missing).sum())


def lexicell_label_column(predictions):
    with open(predictions, newline="") as f:
        header = next(csv.reader(f))
    for name in LEXICELL_LABEL_COLUMNS:
        if name in header:
            return name
    raise SystemExit(f"{predictions}: none of the label columns {LEXICELL_LABEL_COLUMNS} in header {header}")


# ---------------------------------------------------------------- the run

def sizes(text):
    try:
        values = [int(v.replace("_", "")) for v in text.split(",") if v.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated cell counts, got {text!r}")
    if not values or min(values) < 1:
        raise argparse.ArgumentTypeError(f"expected positive cell counts, got {text!r}")
    return values


def fmt(value, digits):
    return "—" if value is None else f"{value:,.{digits}f}"


class Bench:
    def __init__(self, a):
        self.a = a
        self.out = a.out
        self.data = os.path.join(a.out, "data")
        self.logs = os.path.join(a.out, "logs")
        os.makedirs(self.data, exist_ok=True)
        os.makedirs(self.logs, exist_ok=True)
        self.rows, self.auto = [], {}
        self.notes = [
            "Data: scripts/make_scale_data.py (Romanov 2017, 33 types with >= 10 cells, seeded binomial thinning "
            "with keep probability U(0.4, 0.8)); training files seed 1, queries seed 2.",
            "CellTypist: read_h5ad, normalize_total(target_sum=1e4), log1p; train with use_SGD=True, mini_batch=True, "
            "n_jobs=2 (other options at their defaults; numpy's global seed set to 0 first); annotate with majority_voting False / True (its own "
            "over-clustering) in separate runs.",
            "Peak GiB: ru_maxrss of the step's child (largest single process); the JSON also has the watchdog's "
            "sampled peak of the whole process tree.",
            "Macro F1: mean over the classes present in truth or prediction of 2 TP / (2 TP + FP + FN); a query "
            "cell without a prediction counts as wrong.",
        ]
        self.started = datetime.datetime.now(datetime.timezone.utc)
        self.machine = {
            "cpus": os.cpu_count(),
            "memory_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
            "load_average_at_start": [round(v, 2) for v in os.getloadavg()],
            "python": platform.python_version(),
        }
        self.versions = self._versions()

    def _versions(self):
        v = {}
        if "lexicell" in self.a.tools:
            try:
                v["lexicell"] = subprocess.run([self.a.bin, "--version"], capture_output=True, text=True,
                                               timeout=60).stdout.strip()
            except OSError as e:
                raise SystemExit(f"--bin {self.a.bin}: cannot run it ({e}); build it with "
                                 "`swift build -c release --scratch-path .build-release`")
        try:
            v["commit"] = subprocess.run(["git", "-C", HERE, "rev-parse", "--short", "HEAD"], capture_output=True,
                                         text=True, timeout=60).stdout.strip()
        except OSError:
            pass
        if "celltypist" in self.a.tools:
            from importlib.metadata import PackageNotFoundError, version
            for package in ["celltypist", "scanpy", "anndata", "scikit-learn"]:
                try:
                    v[package] = version(package)
                except PackageNotFoundError:
                    raise SystemExit(f"{sys.executable}: {package} is not installed; see the docstring "
                                     "of this script for the venv")
        return v

    def dataset(self, kind, n):
        path = os.path.join(self.data, f"{kind}_{n}.h5ad")
        if not os.path.exists(path):
            seed = 1 if kind == "train" else 2
            print(f"making {path} (seed {seed})", file=sys.stderr, flush=True)
            step = Measured(f"make-{kind}-{n}", [sys.executable, os.path.join(HERE, "make_scale_data.py"),
                                                  "--cells", str(n), "--out", path, "--seed", str(seed)],
                            self.logs, self.a.memory_cap_gib, float("inf")).run()
            if not step.ok:
                raise SystemExit(f"making {path}: {step.outcome}; see {step.log_path}\n{step.stderr_tail()}")
        return path

    def measure(self, name, cmd):
        return Measured(name, cmd, self.logs, self.a.memory_cap_gib, self.a.time_limit_s).run()

    def record(self, step_name, tool, cells, m, accuracy=None, f1=None, extra=None):
        row = {"step": step_name, "tool": tool, "cells": cells, "wall_s": round(m.wall, 1), "cpu_s": round(m.cpu, 1),
               "peak_gib": round(m.peak_gib, 3), "sampled_tree_peak_gib": round(m.sampled_peak_kib / 1048576, 3),
               "accuracy": accuracy, "macro_f1": f1, "outcome": m.outcome, "log": m.log_path}
        row.update(extra or {})
        self.rows.append(row)
        print(self.table_line(row), flush=True)
        if not m.ok:
            print(f"{m.name}: {m.outcome}; last stderr lines in {m.log_path}", file=sys.stderr, flush=True)
        self.write()

    @staticmethod
    def table_line(r):
        acc = None if r["accuracy"] is None else fmt(r["accuracy"], 3)
        f1 = None if r["macro_f1"] is None else fmt(r["macro_f1"], 3)
        cells = [r["step"], r["tool"], f"{r['cells']:,}", fmt(r["wall_s"], 0), fmt(r["cpu_s"], 0),
                 fmt(r["peak_gib"], 2), acc or "—", f1 or "—", r["outcome"]]
        return "| " + " | ".join(cells) + " |"

    def ratios(self):
        found = []
        ok = {(r["step"], r["tool"], r["cells"]): r for r in self.rows if r["outcome"] == "ok"}
        for (step, tool, cells), r in ok.items():
            if tool == LEXICELL:
                continue
            base = ok.get((step, LEXICELL, cells))
            if base:
                ratio = {k: (round(r[k] / base[k], 2) if base[k] > 0 else None)
                         for k in ["wall_s", "cpu_s", "peak_gib"]}
                found.append({"step": step, "cells": cells, "celltypist": tool, **ratio})
        return found

    def write(self):
        header = "| " + " | ".join(COLUMNS) + " |\n|" + "---|" * len(COLUMNS) + "\n"
        lines = [f"# Scale benchmark, {self.started:%Y-%m-%d %H:%M} UTC", "",
                 f"Command: `{' '.join(sys.argv)}`  ",
                 f"Machine: {self.machine['cpus']} CPUs, {self.machine['memory_gib']} GiB, load average at start "
                 f"{', '.join(map(str, self.machine['load_average_at_start']))}  ",
                 "Versions: " + ", ".join(f"{k} {v}" for k, v in self.versions.items()) + "  ",
                 f"Binary: `{self.a.bin}`; memory cap {self.a.memory_cap_gib:g} GiB, time limit "
                 f"{self.a.time_limit_s:g} s per step; annotate uses the models trained on "
                 f"{self.a.annotate_with:,} cells.", "",
                 header + "\n".join(self.table_line(r) for r in self.rows), ""]
        ratios = self.ratios()
        if ratios:
            lines += ["CellTypist / Lexicell (where both finished):", "",
                      "| step | cells | CellTypist | wall | CPU | peak |", "|---|---|---|---|---|---|"]
            lines += [f"| {r['step']} | {r['cells']:,} | {r['celltypist']} | " +
                      " | ".join("—" if r[k] is None else f"{r[k]:.2f}×" for k in ["wall_s", "cpu_s", "peak_gib"])
                      + " |" for r in ratios]
            lines.append("")
        for cells, chose in self.auto.items():
            lines += [f"What auto chose on {cells:,} training cells:", "", "```", *chose, "```", ""]
        lines += [f"- {n}" for n in self.notes]
        text = "\n".join(lines) + "\n"
        for name, content in [("results.md", text),
                              ("results.json", json.dumps({"started": self.started.isoformat(),
                                                           "command": sys.argv, "machine": self.machine,
                                                           "versions": self.versions, "options": vars(self.a),
                                                           "rows": self.rows, "ratios": ratios,
                                                           "auto": {str(k): v for k, v in self.auto.items()},
                                                           "notes": self.notes}, indent=1) + "\n")]:
            path = os.path.join(self.out, name)
            with open(path + ".part", "w") as f:
                f.write(content)
            os.replace(path + ".part", path)

    # -- steps

    def train(self, n):
        data = self.dataset("train", n)
        bundle = model = None
        if "lexicell" in self.a.tools:
            bundle = os.path.join(self.out, f"lexicell-{n}.bundle")
            m = self.measure(f"train-lexicell-{n}", [self.a.bin, "train", "--data", data, "--obs-column",
                                                      "cell_type", "--out", bundle])
            self.auto[n] = []
            for path in [m.out_path, m.err_path]:  # Lexicell prints its progress on stderr
                with open(path, errors="replace") as f:
                    self.auto[n] += [line.rstrip("\n") for line in f if line.startswith("auto:")]
            self.record("train", LEXICELL, n, m, extra={"auto": self.auto[n]})
            bundle = bundle if m.ok else None
        if "celltypist" in self.a.tools:
            model = os.path.join(self.out, f"celltypist-{n}.pkl")
            m = self.measure(f"train-celltypist-{n}", [sys.executable, os.path.abspath(__file__),
                                                        "_celltypist-train", data, model])
            self.record("train", CT_TRAIN, n, m)
            model = model if m.ok else None
        return bundle, model

    def annotate(self, m_cells, bundle, model):
        query = self.dataset("query", m_cells)
        if "lexicell" in self.a.tools:
            if bundle is None:
                self.skip(LEXICELL, m_cells)
            else:
                out = os.path.join(self.out, f"lexicell-annotate-{m_cells}")
                m = self.measure(f"annotate-lexicell-{m_cells}", [self.a.bin, "annotate", "--reference", bundle,
                                                                   "--data", query, "--out", out])
                acc = f1 = None
                extra = {}
                if m.ok:
                    predictions = os.path.join(out, "predictions.csv")
                    column = lexicell_label_column(predictions)
                    acc, f1, n_pred = score(query, predictions, column)
                    extra = {"label_column": column, "cells_predicted": n_pred}
                    note = (f"Lexicell accuracy and macro F1 from predictions.csv column `{column}`"
                            + (" (the top label, before the Unassigned threshold)." if column == "best_label"
                               else " (with Unassigned below the confidence threshold, counted as wrong)."))
                    if note not in self.notes:
                        self.notes.append(note)
                self.record("annotate", LEXICELL, m_cells, m, acc, f1, extra)
        if "celltypist" in self.a.tools:
            for voting, tool in [("off", CT_OFF), ("on", CT_ON)]:
                if voting == "on" and self.a.skip_voting:
                    continue
                if model is None:
                    self.skip(tool, m_cells)
                    continue
                csv_out = os.path.join(self.out, f"celltypist-annotate-{m_cells}-voting-{voting}.csv")
                m = self.measure(f"annotate-celltypist-{m_cells}-voting-{voting}",
                                 [sys.executable, os.path.abspath(__file__), "_celltypist-annotate", query, model,
                                  csv_out, voting])
                acc = f1 = None
                extra = {}
                if m.ok:
                    acc, f1, n_pred = score(query, csv_out, "label")
                    extra = {"cells_predicted": n_pred}
                self.record("annotate", tool, m_cells, m, acc, f1, extra)

    def skip(self, tool, cells):
        row = {"step": "annotate", "tool": tool, "cells": cells, "wall_s": None, "cpu_s": None, "peak_gib": None,
               "accuracy": None, "macro_f1": None, "outcome": "skipped (its training did not finish)"}
        self.rows.append(row)
        print(self.table_line(row), flush=True)
        self.write()

    def run(self):
        a = self.a
        print("| " + " | ".join(COLUMNS) + " |\n|" + "---|" * len(COLUMNS), flush=True)
        train_sizes = list(dict.fromkeys(a.train_sizes + ([a.annotate_with] if a.query_sizes else [])))
        if a.annotate_with not in a.train_sizes and a.query_sizes:
            self.notes.append(f"--annotate-with {a.annotate_with} was not among --train-sizes; trained it too.")
        trained = {n: self.train(n) for n in train_sizes}
        bundle, model = trained[a.annotate_with] if a.query_sizes else (None, None)
        for m_cells in a.query_sizes:
            self.annotate(m_cells, bundle, model)
        self.write()
        print(f"\nresults: {os.path.join(self.out, 'results.md')}, {os.path.join(self.out, 'results.json')}; "
              f"{(datetime.datetime.now(datetime.timezone.utc) - self.started).total_seconds():.0f} s in all",
              flush=True)


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "_celltypist-train" and len(sys.argv) == 4:
        return celltypist_train(*sys.argv[2:])
    if len(sys.argv) > 1 and sys.argv[1] == "_celltypist-annotate" and len(sys.argv) == 6 \
            and sys.argv[5] in ("on", "off"):
        return celltypist_annotate(*sys.argv[2:])
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--bin", default=".build-release/release/lexicell", help="Lexicell binary")
    p.add_argument("--train-sizes", type=sizes, default=[20000, 100000], help="comma-separated training sizes")
    p.add_argument("--query-sizes", type=sizes, default=[20000, 100000, 1000000], help="comma-separated query sizes")
    p.add_argument("--annotate-with", type=int, default=20000,
                   help="annotate with the bundle/model trained on this many cells")
    p.add_argument("--out", default="out/scale-bench")
    p.add_argument("--memory-cap-gib", type=float, default=20.0,
                   help="stop a step whose process tree holds more than this (sampled every 0.2 s)")
    p.add_argument("--time-limit-s", type=float, default=3600.0, help="stop a step that runs longer than this")
    p.add_argument("--tools", default="lexicell,celltypist", help="comma-separated: lexicell, celltypist")
    p.add_argument("--skip-voting", action="store_true", help="leave out CellTypist with majority voting")
    a = p.parse_args()
    a.tools = [t.strip() for t in a.tools.split(",") if t.strip()]
    unknown = set(a.tools) - {"lexicell", "celltypist"}
    if unknown or not a.tools:
        p.error(f"--tools: expected lexicell and/or celltypist, got {','.join(a.tools) or 'nothing'}")
    if a.memory_cap_gib <= 0 or a.time_limit_s <= 0:
        p.error("--memory-cap-gib and --time-limit-s must be positive")
    if a.annotate_with < 1:
        p.error("--annotate-with must be at least 1")
    if "lexicell" in a.tools and not os.access(a.bin, os.X_OK):
        p.error(f"--bin {a.bin}: no executable there (build: swift build -c release --scratch-path .build-release)")
    a.bin = os.path.abspath(a.bin)
    if not os.path.exists("/proc/self/task"):
        p.error("needs Linux /proc to watch the children's memory")
    Bench(a).run()


if __name__ == "__main__":
    main()
