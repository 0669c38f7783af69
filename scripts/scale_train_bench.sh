#!/usr/bin/env bash
# Time `lexicell train` (default auto) on synthetic 20k / 100k-cell data made from the bundled Romanov cells
# (scripts/make_scale_data.py) and on the bundled datasets: wall time, CPU time (user + sys) and peak RSS from
# /usr/bin/time -v. Writes out/scale-train/results.md (one row per run) and keeps each run's log.
#
#   scripts/scale_train_bench.sh                    # release build of this tree; 20k and 100k, bundled data
#   BIN=/path/to/other/lexicell scripts/scale_train_bench.sh bundled    # e.g. the "before" binary
#   SIZES="20000" scripts/scale_train_bench.sh scale
# Environment: BIN (default .build-release/release/lexicell), PY (python with anndata, default
# /work/venv-ct/bin/python), SIZES (default "20000 100000"), OUT (default out/scale-train), EXTRA (more train options).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.build-release/release/lexicell}
PY=${PY:-/work/venv-ct/bin/python}
SIZES=${SIZES:-20000 100000}
OUT=${OUT:-out/scale-train}
WHAT=${1:-all}
EXTRA=${EXTRA:-}
R=data/datasets/romanov2017_hypothalamus_neurons
[ -x "$BIN" ] || { echo "no binary at $BIN (swift build -c release --scratch-path .build-release)" >&2; exit 1; }
mkdir -p "$OUT"
RESULTS=$OUT/results.md
[ -f "$RESULTS" ] || printf '| run | binary | cells | wall (s) | CPU (s) | peak RSS (GB) | what auto did |\n|---|---|---|---|---|---|---|\n' > "$RESULTS"

# run NAME CELLS ARGS...: one timed train, appended to the table.
run() {
    local name=$1 cells=$2; shift 2
    local log=$OUT/$name.log
    rm -rf "$OUT/$name.bundle"
    /usr/bin/time -v -o "$OUT/$name.time" nice -n 10 "$BIN" train "$@" $EXTRA --out "$OUT/$name.bundle" >"$log" 2>&1 \
        || { echo "$name failed, see $log" >&2; tail -5 "$log" >&2; return 1; }
    local wall cpu rss chose
    wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {n = split($2, t, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + t[i]; printf "%.0f", s}' "$OUT/$name.time")
    cpu=$(awk -F': ' '/User time/ {u = $2} /System time/ {s = $2} END {printf "%.0f", u + s}' "$OUT/$name.time")
    rss=$(awk -F': ' '/Maximum resident set size/ {printf "%.2f", $2 / 1048576}' "$OUT/$name.time")
    chose=$(grep -E "^auto: " "$log" | sed 's/|/\\|/g' | paste -sd ' ' -)
    printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$name" "$BIN" "$cells" "$wall" "$cpu" "$rss" "$chose" | tee -a "$RESULTS"
}

if [ "$WHAT" = all ] || [ "$WHAT" = bundled ]; then
    run romanov33 667 --data $R --labels $R/cell_metadata.csv --label-column Author_CellType --min-cells-per-class 10
    run gaba6 128 --data $R --labels $R/cell_metadata.csv --label-column Author_CellType --classes-file data/subsets/romanov_gaba6.txt
    run pbmc68k 700 --data data/datasets/pbmc68k_reduced/pbmc68k_reduced.h5ad --raw --obs-column bulk_labels
fi
if [ "$WHAT" = all ] || [ "$WHAT" = scale ]; then
    for n in $SIZES; do
        f=out/scale/romanov_$((n / 1000))k.h5ad
        [ -f "$f" ] || nice -n 10 "$PY" scripts/make_scale_data.py --cells "$n" --out "$f"
        run "synthetic_$((n / 1000))k" "$n" --data "$f" --obs-column cell_type
    done
fi
echo "results: $RESULTS"
