#!/usr/bin/env bash
# The h5ad that `lexicell annotate` writes opens in Python's anndata with the expected columns and shapes.
# Trains a small reference (random gene vectors: no model needed) on half of Romanov's chips, annotates the
# other half, and checks annotated.h5ad with scripts/check_h5ad.py. Usage: scripts/check_annotate_h5ad.sh BIN PYTHON
set -euo pipefail
cd "$(dirname "$0")/.."
B=${1:-.build/debug/lexicell}
PY=${2:-.venv/bin/python}
O=$(mktemp -d)
trap 'rm -rf "$O"' EXIT
LEXICELL="$B" OUT="$O" scripts/transfer_romanov_by_sample.sh --method text --gene-embeddings random --random-dimension 64 >/dev/null 2>"$O/log" || { cat "$O/log"; exit 1; }
n=$(wc -l < "$O/query_cells.txt")
"$PY" scripts/check_h5ad.py "$O/query/annotated.h5ad" --cells "$n" --genes 21143 \
  --obs lexicell_label,lexicell_best_label,lexicell_confidence,lexicell_mean_similarity --obsm X_lexicell:64,X_umap:2
