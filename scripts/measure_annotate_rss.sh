#!/bin/sh
# Peak RSS and wall time of `lexicell annotate` on each query given, with one or more binaries.
# usage: scripts/measure_annotate_rss.sh BUNDLE OUTDIR "LABEL=BINARY ..." QUERY... [-- extra annotate options]
# prints: label query max_rss_MiB wall_s
set -eu
bundle=$1; out=$2; bins=$3; shift 3
queries=""; while [ $# -gt 0 ] && [ "$1" != "--" ]; do queries="$queries $1"; shift; done
[ "${1:-}" = "--" ] && shift
mkdir -p "$out"
for q in $queries; do
  for pair in $bins; do
    label=${pair%%=*}; bin=${pair#*=}
    run="$out/$label-$(basename "$q")"
    rm -rf "$run"
    /usr/bin/time -v -o "$run.time" nice -n 10 "$bin" annotate --reference "$bundle" --data "$q" --out "$run" "$@" > "$run.log" 2>&1
    rss=$(awk -F': ' '/Maximum resident set size/ {printf "%.0f", $2/1024}' "$run.time")
    wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$run.time")
    echo "$label $(basename "$q") ${rss}MiB $wall"
  done
done
