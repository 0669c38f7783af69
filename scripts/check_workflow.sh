#!/usr/bin/env bash
# The Snakemake workflow (workflow/) annotates a query in 3 shards with the local executor and merges them;
# the result must equal one unsharded `lexicell annotate` run cell for cell (scripts/compare_annotate_outputs.py).
# Reference: half of Romanov's chips (random gene vectors: no model needed); query: the other half, as the
# h5ad that annotate writes (CSR, so the shards read it in row blocks of 50 cells).
# Usage: scripts/check_workflow.sh BIN PYTHON   (PYTHON's environment has snakemake and anndata)
set -euo pipefail
cd "$(dirname "$0")/.."
B=$(realpath "${1:-.build/debug/lexicell}")
PY=${2:-.venv/bin/python}
SNAKEMAKE="$(dirname "$PY")/snakemake"
D=data/datasets/romanov2017_hypothalamus_neurons
O=$(mktemp -d)
trap '[ -n "${KEEP:-}" ] || rm -rf "$O"' EXIT
LEXICELL="$B" OUT="$O" scripts/transfer_romanov_by_sample.sh --method text --gene-embeddings random --random-dimension 64 >/dev/null 2>"$O/log" || { cat "$O/log"; exit 1; }
Q="$O/query/annotated.h5ad"
OPTS="--labels $PWD/$D/cell_metadata.csv"
"$B" annotate --reference "$O/reference" --data "$Q" --chunk-cells 1000 $OPTS --out "$O/single" >/dev/null 2>"$O/single.log" || { cat "$O/single.log"; exit 1; }
"$SNAKEMAKE" -s "$PWD/workflow/Snakefile" --directory "$O" --cores 2 --quiet all \
  --config lexicell="$B" reference="$O/reference" query="$Q" shards=3 out="$O/wf" chunk_cells=50 annotate_options="$OPTS" \
  >"$O/snakemake.log" 2>&1 || { cat "$O/snakemake.log" "$O"/wf/logs/*.log 2>/dev/null; exit 1; }
"$PY" scripts/compare_annotate_outputs.py "$O/single" "$O/wf/merged"
