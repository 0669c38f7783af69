#!/bin/sh
# The README's ablation: one ingredient at a time, Romanov 33 types and GABA-6, 5 seeds (release build).
set -e
B=${B:-.build/release/lexicell}
R=data/datasets/romanov2017_hypothalamus_neurons
A="--data $R --labels $R/cell_metadata.csv --label-column Author_CellType --species mouse --seeds 5 --no-report"
M="--method text --method random --method text+supcon --method random+supcon --method pca --method pca+supcon
   --method hybrid@0.25 --method hybrid@0.5 --method hybrid@1 --method hybrid@2 --method hybrid --method hybrid-random@1
   --method crossview+supcon --method crossview-random+supcon --method text:lr --method random:lr"
$B benchmark $A --min-cells-per-class 10 $M --reference pca --out out/ablation-romanov33
$B benchmark $A --min-cells-per-class 10 --housekeeping none --method text+supcon --method random+supcon --out out/ablation-romanov33-nohk
$B benchmark $A --classes-file data/subsets/romanov_gaba6.txt $M --reference pca --out out/ablation-gaba6
$B benchmark $A --classes-file data/subsets/romanov_gaba6.txt --housekeeping none --method text+supcon --method random+supcon --out out/ablation-gaba6-nohk
