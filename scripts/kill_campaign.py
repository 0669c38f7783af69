#!/usr/bin/env python3
"""kill -9 at random moments of embed-genes, evaluate, train and annotate (issue 15).

For each command: one complete run gives the expected ("new") output; one run with other settings gives an "old"
output that stands at --out before every trial. Each trial starts the command, kills it with SIGKILL after a
random fraction of the complete run's time, then checks
  1. the cache passes `PRAGMA integrity_check`,
  2. --out holds the old output or the new one, whole (same file names, same bytes), never a mix,
  3. a rerun with the same cache finishes and gives exactly the expected output, and leaves no temporary or
     set-aside sibling folders behind.
embed-genes starts every trial from an empty cache (the kills land while vectors are being written; the top 2 genes
per cell keep a trial short); evaluate, train and annotate start from a copy of a warm cache (--warm-cache, by
default the user's cache, taken with SQLite's backup API), so their kills land in reading, computing and writing
the outputs. Deterministic files are compared byte for byte; files carrying times (report.html, result.json, the bundle
manifest and its checksum, annotated.h5ad) are compared by name only.

usage: scripts/kill_campaign.py BIN [--trials 20] [--commands embed-genes,evaluate,train,annotate] [--seed 0]
                                   [--warm-cache ~/.local/share/lexicell/models/embeddings.sqlite]
"""
import argparse
import hashlib
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = ["--data", os.path.join(REPO, "data/datasets/pbmc68k_reduced/pbmc68k_reduced.h5ad"), "--raw", "--obs-column", "bulk_labels"]
VOLATILE = {"report.html", "result.json", "manifest.json", "manifest.fnv1a", "annotated.h5ad", "summary.md"}


def fingerprint(path):
    """Names and bytes of an output (file or Lexicell folder); None when absent."""
    if not os.path.lexists(path):
        return None
    if os.path.isfile(path):
        return {"": hashlib.sha256(open(path, "rb").read()).hexdigest()}
    out = {}
    for root, _, files in os.walk(path):
        for f in files:
            rel = os.path.relpath(os.path.join(root, f), path)
            if rel == ".lexicell-output":
                continue
            out[rel] = "present" if f in VOLATILE else hashlib.sha256(open(os.path.join(root, f), "rb").read()).hexdigest()
    return out


def siblings(path):
    """Temporary or set-aside folders of Lexicell beside the output."""
    parent, name = os.path.split(path)
    return sorted(n for n in os.listdir(parent) if n.startswith("." + name + ".lexicell-"))


def commands(bin_, work):
    """name -> (argv for the new output, argv for the old output); {out} and {cache} are filled per run."""
    bundle = os.path.join(work, "bundle-for-annotate")
    return {
        "embed-genes": (
            [bin_, "embed-genes", "--data", DATA[1], "--top-n", "2", "--cache", "{cache}", "--out", "{out}"],
            [bin_, "embed-genes", "--data", DATA[1], "--top-n", "1", "--cache", "{cache}", "--out", "{out}"],
            "genes.lxge",
        ),
        "evaluate": (
            [bin_, "evaluate", *DATA, "--method", "text", "--no-control", "--seeds", "1", "--cache", "{cache}", "--out", "{out}"],
            [bin_, "evaluate", *DATA, "--method", "text", "--no-control", "--seeds", "1", "--seed", "9", "--cache", "{cache}", "--out", "{out}"],
            "evaluation",
        ),
        "train": (
            [bin_, "train", *DATA, "--method", "text", "--cache", "{cache}", "--out", "{out}"],
            [bin_, "train", *DATA, "--method", "text", "--top-n", "10", "--cache", "{cache}", "--out", "{out}"],
            "bundle",
        ),
        "annotate": (
            [bin_, "annotate", "--reference", bundle, *DATA[:2], "--raw", "--cache", "{cache}", "--out", "{out}"],
            [bin_, "annotate", "--reference", bundle, *DATA[:2], "--raw", "--min-confidence", "0.9", "--cache", "{cache}", "--out", "{out}"],
            "annotation",
        ),
    }


def fill(argv, out, cache):
    return [a.replace("{out}", out).replace("{cache}", cache) for a in argv]


def run(argv, log):
    t0 = time.time()
    r = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if r.returncode != 0:
        sys.exit(f"failed ({r.returncode}): {' '.join(argv)}\n{r.stderr[-3000:]}")
    log.write(r.stderr)
    return time.time() - t0


def integrity(cache):
    if not os.path.exists(cache):
        return "absent"
    con = sqlite3.connect(cache)
    try:
        return con.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        con.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("bin")
    ap.add_argument("--trials", type=int, default=20)
    ap.add_argument("--commands", default="embed-genes,evaluate,train,annotate")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--warm-cache", default=os.path.expanduser("~/.local/share/lexicell/models/embeddings.sqlite"))
    args = ap.parse_args()
    rng = random.Random(args.seed)
    work = tempfile.mkdtemp(prefix="lexicell-kill-")
    log = open(os.path.join(work, "runs.log"), "w")
    specs = commands(os.path.abspath(args.bin), work)
    if "annotate" in args.commands:
        run([os.path.abspath(args.bin), "train", *DATA, "--method", "text", "--cache", args.warm_cache, "--out", os.path.join(work, "bundle-for-annotate")], log)
    warm = os.path.join(work, "warm.sqlite")
    src = sqlite3.connect(args.warm_cache)
    dst = sqlite3.connect(warm)
    src.backup(dst)
    src.close()
    dst.close()

    def start_cache(name, path):
        if name != "embed-genes":
            shutil.copy(warm, path)

    failures = 0
    print(f"work folder {work}")
    for name in args.commands.split(","):
        new_argv, old_argv, out_name = specs[name]
        ref = os.path.join(work, name + "-expected")
        os.makedirs(ref)
        start_cache(name, os.path.join(ref, "cache.sqlite"))
        t_full = run(fill(new_argv, os.path.join(ref, out_name), os.path.join(ref, "cache.sqlite")), log)
        expected = fingerprint(os.path.join(ref, out_name))
        old_dir = os.path.join(work, name + "-old")
        os.makedirs(old_dir)
        start_cache(name, os.path.join(old_dir, "cache.sqlite"))
        run(fill(old_argv, os.path.join(old_dir, out_name), os.path.join(old_dir, "cache.sqlite")), log)
        old = fingerprint(os.path.join(old_dir, out_name))
        assert old != expected, f"{name}: the old settings must give a different output"
        counts = {"killed": 0, "finished first": 0, "old": 0, "new": 0}
        for trial in range(args.trials):
            tdir = os.path.join(work, f"{name}-{trial}")
            os.makedirs(tdir)
            out, cache = os.path.join(tdir, out_name), os.path.join(tdir, "cache.sqlite")
            src = os.path.join(old_dir, out_name)
            shutil.copytree(src, out, symlinks=True) if os.path.isdir(src) else shutil.copy2(src, out)
            start_cache(name, cache)
            delay = rng.uniform(0.02, 1.0) * t_full
            p = subprocess.Popen(fill(new_argv, out, cache), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(delay)
            if p.poll() is None:
                os.kill(p.pid, signal.SIGKILL)
                counts["killed"] += 1
            else:
                counts["finished first"] += 1
            p.wait()
            problems = []
            check = integrity(cache)
            if check not in ("ok", "absent"):
                problems.append(f"cache integrity_check: {check}")
            state = fingerprint(out)
            if state == old:
                counts["old"] += 1
            elif state == expected:
                counts["new"] += 1
            else:
                problems.append(f"--out is neither the old nor the new output: {sorted((state or {}).keys())}")
            run(fill(new_argv, out, cache), log)
            if fingerprint(out) != expected:
                problems.append("the rerun's output differs from the complete run's")
            if integrity(cache) != "ok":
                problems.append("cache integrity after the rerun")
            left = siblings(out)
            if left:
                problems.append(f"leftovers after the rerun: {left}")
            status = "ok" if not problems else "FAIL: " + "; ".join(problems)
            failures += bool(problems)
            print(f"{name} trial {trial:2d}: kill at {delay:5.1f} s of {t_full:.1f} s -> out {('old' if state == old else 'new' if state == expected else 'MIXED')}, {status}", flush=True)
            shutil.rmtree(tdir)
        print(f"== {name}: {args.trials} trials, {counts['killed']} killed mid-run ({counts['finished first']} finished first); "
              f"--out old {counts['old']}, new {counts['new']}; complete run {t_full:.1f} s", flush=True)
    print(f"{failures} failed trials")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
