#!/usr/bin/env bash
# Release-build timing of HeadsBenchmark.run (LogisticRegression and LinearSVM on the synthetic recipe shared with
# scripts/heads_bench.py) without a committed executable target: builds LexicellMap in release, links a throwaway
# main.swift against its objects, runs it.
# Usage: scripts/heads_bench_swift.sh [rows] [cols] [classes] [C] [tol]   (defaults 30000 2000 20 1 1e-4)
set -euo pipefail
cd "$(dirname "$0")/.."
SCRATCH=${SCRATCH:-.build-svm}
swift build -c release --scratch-path "$SCRATCH" --target LexicellMap >/dev/null
R="$SCRATCH/release"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
cat > "$TMP/main.swift" <<'SWIFT'
import Foundation
import LexicellMap
let a = CommandLine.arguments
func arg(_ i: Int, _ fallback: String) -> String { a.count > i ? a[i] : fallback }
let results = try HeadsBenchmark.run(rows: Int(arg(1, "30000"))!, cols: Int(arg(2, "2000"))!, classes: Int(arg(3, "20"))!,
                                     c: Double(arg(4, "1"))!, tolerance: Double(arg(5, "1e-4"))!)
for r in results { print(r) }
SWIFT
swiftc -O "$TMP/main.swift" -I "$R/Modules" \
  -Xcc -fmodule-map-file=Sources/CBLAS/module.modulemap -Xcc -fmodule-map-file=Sources/CLexZlib/module.modulemap \
  "$R"/LexicellMap.build/*.o "$R"/LexicellCore.build/*.o -lopenblas -lz -o "$TMP/bench"
"$TMP/bench" "$@"
