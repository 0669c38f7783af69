#!/bin/bash
# Learning curves (issue 19): every method and the random control on the same per-class training subsamples,
# test cells fixed, 5 seeds, paired against the random-vector control. Release binary; about 10-30 min per
# dataset on 2 cores. Usage: scripts/learning_curves.sh [BIN] [OUT]   (tables in OUT/*/benchmark.md, learning_curve.csv)
set -euo pipefail
B=${1:-.build/release/lexicell}
OUT=${2:-out/curves}
R=data/datasets/romanov2017_hypothalamus_neurons
SIZES=1,3,10,all
M="--method text --method random --method paper --method pca --method hvg:lr --method auto"
$B benchmark --data $R --labels $R/cell_metadata.csv --min-cells-per-class 10 $M --train-per-class $SIZES \
  --reference random --seeds 5 --out "$OUT/romanov33"
$B benchmark --data $R --labels $R/cell_metadata.csv --classes-file data/subsets/romanov_gaba6.txt $M \
  --train-per-class $SIZES --reference random --seeds 5 --out "$OUT/gaba6"
$B benchmark --data data/datasets/pbmc68k_reduced/pbmc68k_reduced.h5ad --raw --obs-column bulk_labels $M \
  --train-per-class $SIZES --reference random --seeds 5 --out "$OUT/pbmc68k"
