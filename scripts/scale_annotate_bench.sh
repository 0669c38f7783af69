#!/usr/bin/env bash
# Peak memory and time of `lexicell annotate` as the query grows: synthetic h5ad queries of N cells made from
# the bundled Romanov cells (scripts/scale_make_query.py: seeded binomial thinning, cells taken in turn),
# annotated by each binary given with /usr/bin/time -v; one table line per binary and size.
# Usage: scripts/scale_annotate_bench.sh BUNDLE "100000 300000" BIN [BIN ...]
#   BUNDLE: a reference bundle, e.g. from `lexicell train --method auto` on the Romanov data:
#     lexicell train --data data/datasets/romanov2017_hypothalamus_neurons \
#       --labels data/datasets/romanov2017_hypothalamus_neurons/cell_metadata.csv --min-cells-per-class 5 --out .bench/auto-bundle
#   Env: PY (python with h5py and numpy; default .venv/bin/python), DIR (queries and outputs; default .bench),
#        ANNOTATE_OPTIONS (default --no-umap: the report's UMAP is measured apart).
set -euo pipefail
cd "$(dirname "$0")/.."
BUNDLE=$1; SIZES=$2; shift 2
PY=${PY:-.venv/bin/python}
DIR=${DIR:-.bench}
OPTS=${ANNOTATE_OPTIONS:---no-umap}
mkdir -p "$DIR"
printf "%-44s %9s %9s %9s %10s\n" binary cells wall_s cpu_s peak_GiB
for n in $SIZES; do
  q="$DIR/q$n.h5ad"
  [ -f "$q" ] || nice -n 10 "$PY" scripts/scale_make_query.py "$n" "$q" >&2
  for bin in "$@"; do
    out="$DIR/annotate-$n-$(echo "$bin" | tr '/.' '__')"
    log="$out.time"
    if ! nice -n 10 /usr/bin/time -v "$bin" annotate --reference "$BUNDLE" --data "$q" $OPTS --out "$out" --force >"$out.stdout" 2>"$log"; then
      printf "%-44s %9s failed (see %s)\n" "$bin" "$n" "$log"; continue
    fi
    wall=$(awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, t, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + t[i]; print s }' "$log")
    cpu=$(awk -F': ' '/User time/ { u = $2 } /System time/ { s = $2 } END { printf "%.1f", u + s }' "$log")
    rss=$(awk -F': ' '/Maximum resident set size/ { printf "%.2f", $2 / 1048576 }' "$log")
    printf "%-44s %9s %9.0f %9s %10s\n" "$bin" "$n" "$wall" "$cpu" "$rss"
  done
done
