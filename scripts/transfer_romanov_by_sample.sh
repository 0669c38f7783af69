#!/usr/bin/env bash
# Label transfer across batches on real data: Romanov 2017's 65 C1 chips (Sample_ID) are split in two by
# alternating their sorted ids; one half trains a reference bundle, the other half is annotated with it.
# Usage: scripts/transfer_romanov_by_sample.sh [extra options for train, e.g. --method paper, --method text --gene-embeddings random]
set -euo pipefail
cd "$(dirname "$0")/.."
B=${LEXICELL:-.build/release/lexicell}
D=data/datasets/romanov2017_hypothalamus_neurons
O=${OUT:-out/transfer-romanov}
mkdir -p "$O"
python3 - "$D/cell_metadata.csv" "$O" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
samples = sorted({r["Sample_ID"] for r in rows})
ref = set(samples[0::2])
with open(sys.argv[2] + "/reference_cells.txt", "w") as a, open(sys.argv[2] + "/query_cells.txt", "w") as b:
    for r in rows:
        (a if r["Sample_ID"] in ref else b).write(r["cell"] + "\n")
PY
"$B" train --data "$D" --labels "$D/cell_metadata.csv" --cells-file "$O/reference_cells.txt" --min-cells-per-class 5 "$@" --out "$O/reference"
"$B" annotate --reference "$O/reference" --data "$D" --cells-file "$O/query_cells.txt" --labels "$D/cell_metadata.csv" --out "$O/query"
