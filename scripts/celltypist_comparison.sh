#!/usr/bin/env bash
# Lexicell's auto (with and without the all-genes candidates), scaled HVGs + LR and the two all-genes methods,
# then CellTypist 1.7.1 (with and without feature selection), scanpy ingest and scikit-learn LR on HVGs trained
# on exactly the same training cells (scripts/compare_celltypist.py), on the three bundled datasets, 5 seeds.
#
# Needs: the release build (swift build -c release --product lexicell; make models) and the venv
#   python3 -m venv /work/venv-ct && /work/venv-ct/bin/pip install "celltypist==1.7.1" "scikit-learn<1.8" scanpy \
#       "pynndescent<0.7" scikit-misc
# Usage: scripts/celltypist_comparison.sh [dataset ...]   (gaba6, pbmc, romanov33; default all). Outputs in out/.
set -euo pipefail
cd "$(dirname "$0")/.."
B=${B:-.build/release/lexicell}
PY=${PY:-/work/venv-ct/bin/python}
R=data/datasets/romanov2017_hypothalamus_neurons
P=data/datasets/pbmc68k_reduced/pbmc68k_reduced.h5ad
COMMON="--no-control --no-report --seeds 5"
declare -A DATA COMPARE
DATA[gaba6]="--data $R --labels $R/cell_metadata.csv --classes-file data/subsets/romanov_gaba6.txt"
DATA[pbmc]="--data $P --raw --obs-column bulk_labels"
DATA[romanov33]="--data $R --labels $R/cell_metadata.csv --min-cells-per-class 10"
COMPARE[gaba6]="--data $R --labels $R/cell_metadata.csv --label-column Author_CellType"
COMPARE[pbmc]="--data $P --raw --obs-column bulk_labels"
COMPARE[romanov33]="--data $R --labels $R/cell_metadata.csv --label-column Author_CellType"
mkdir -p out
for d in "${@:-gaba6 pbmc romanov33}"; do
  for name in $d; do
    $B evaluate ${DATA[$name]} --method auto --method hvg:lr --method allgenes:lr --method allgenes-fs:lr $COMMON \
      --out out/eval-$name > out/log-eval-$name.txt 2>&1
    $B evaluate ${DATA[$name]} --method auto-allgenes $COMMON --out out/eval-$name-autoall \
      > out/log-eval-$name-autoall.txt 2>&1
    $PY scripts/compare_celltypist.py --predictions out/eval-$name/predictions.csv \
      --also "auto + all-genes candidates=out/eval-$name-autoall/predictions.csv" ${COMPARE[$name]} \
      --json out/compare-$name.json > out/compare-$name.md 2> out/compare-$name.log
    cat out/compare-$name.md
  done
done
