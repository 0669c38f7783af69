#!/usr/bin/env bash
# Zero-shot annotation from marker files (issue 19), compared honestly:
#   1. the knowledge weight w is chosen on Romanov GABA-6 alone (128 cells, its 6 marker lines): the w of
#      0, 0.1, ..., 1 with the best macro F1 (zeroshot.json `weightChosenHere`);
#   2. at that w, `annotate --markers` on pbmc68k (10 types), Romanov's other 27 types (disjoint from GABA-6),
#      Romanov 33 (includes the GABA-6 cells: not independent of the choice) and GABA-6 (the selection set itself);
#      each run reports marker-only (w = 0), knowledge-only (w = 1), combined (w) and the random-vector control;
#   3. a supervised reference: `benchmark --train-per-class 1,3,10 --method auto --method text --method random`,
#      5 seeds, on pbmc68k, Romanov 33 and GABA-6; the zero-shot modes are also scored on exactly the
#      benchmark's test cells of each seed (mean ± s.d. over the 5 seeds), so both sides see the same cells.
# Release build: swift build -c release --scratch-path .build-release. Needs all-MiniLM-L6-v2 (make models).
# Stdlib python3 only. Usage: scripts/zeroshot_compare.sh [OUT]   (default out/zeroshot)
set -euo pipefail
cd "$(dirname "$0")/.."
B=${B:-.build-release/release/lexicell}
R=data/datasets/romanov2017_hypothalamus_neurons
P=data/datasets/pbmc68k_reduced/pbmc68k_reduced.h5ad
M=data/markers
OUT=${1:-out/zeroshot}
SKIP_SUPERVISED=${SKIP_SUPERVISED:-0}
mkdir -p "$OUT/inputs"

# Cells and marker lines of each Romanov query (types with >= 10 cells; GABA-6 from data/subsets).
python3 - "$R/cell_metadata.csv" data/subsets/romanov_gaba6.txt "$M/romanov2017_hypothalamus.csv" "$OUT/inputs" <<'EOF'
import csv, sys, collections
meta, gaba6_file, markers, out = sys.argv[1:]
rows = list(csv.DictReader(open(meta)))
counts = collections.Counter(r["Author_CellType"] for r in rows)
t33 = {t for t, n in counts.items() if n >= 10}
gaba6 = {l.strip() for l in open(gaba6_file) if l.strip()}
assert gaba6 <= t33 and len(t33) == 33
sets = {"romanov33": t33, "gaba6": gaba6, "romanov27": t33 - gaba6}
lines = open(markers).read().splitlines()
header = next(i for i, l in enumerate(lines) if l.startswith("type,"))
body = [l for l in lines[header + 1:] if l and not l.startswith("#")]
for name, types in sets.items():
    with open(f"{out}/cells_{name}.txt", "w") as f:
        f.writelines(r["cell"] + "\n" for r in rows if r["Author_CellType"] in types)
    kept = [l for l in body if next(csv.reader([l]))[0] in types]
    assert len(kept) == len(types), name
    with open(f"{out}/markers_{name}.csv", "w") as f:
        f.write(lines[header] + "\n" + "\n".join(kept) + "\n")
assert not (gaba6 & sets["romanov27"])
EOF

zs() {  # name, extra args...
  local name=$1; shift
  nice -n 10 "$B" annotate --no-umap --no-h5ad --out "$OUT/zs-$name" "$@" > "$OUT/zs-$name.log" 2>&1
}
romanov() { echo --data "$R" --labels "$R/cell_metadata.csv" --cells-file "$OUT/inputs/cells_$1.txt" --markers "$OUT/inputs/markers_$1.csv"; }

# 1. The weight, on GABA-6 only.
zs gaba6-select $(romanov gaba6)
W=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['weightChosenHere'])" "$OUT/zs-gaba6-select/zeroshot.json")
echo "knowledge weight chosen on GABA-6: w = $W; softmax temperature fitted there: $(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['temperatureFittedHere'])" "$OUT/zs-gaba6-select/zeroshot.json")"

# 2. Evaluation at that weight.
zs pbmc --knowledge-weight "$W" --data "$P" --raw --obs-column bulk_labels --markers "$M/pbmc68k_reduced.csv"
for s in romanov27 romanov33 gaba6; do zs "$s" --knowledge-weight "$W" $(romanov "$s"); done

# 3. Supervised reference at 1, 3 and 10 cells per class.
SUP="--train-per-class 1,3,10 --seeds 5 --method auto --method text --method random --reference auto --no-report"
if [ "$SKIP_SUPERVISED" != 1 ]; then
  nice -n 10 "$B" benchmark --data "$P" --raw --obs-column bulk_labels $SUP --out "$OUT/sup-pbmc" > "$OUT/sup-pbmc.log" 2>&1
  nice -n 10 "$B" benchmark --data "$R" --labels "$R/cell_metadata.csv" --min-cells-per-class 10 $SUP --out "$OUT/sup-romanov33" > "$OUT/sup-romanov33.log" 2>&1
  nice -n 10 "$B" benchmark --data "$R" --labels "$R/cell_metadata.csv" --classes-file data/subsets/romanov_gaba6.txt $SUP --out "$OUT/sup-gaba6" > "$OUT/sup-gaba6.log" 2>&1
fi

python3 scripts/zeroshot_table.py "$OUT" "$W" | tee "$OUT/comparison.md"
