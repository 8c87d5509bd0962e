# BalanceAI — the two commands a newcomer needs:
#   make devnet   run the testnet (release build)
#   make test     run every test (debug build)
SHELL := /bin/bash
.DEFAULT_GOAL := help

export CARGO_TARGET_DIR ?= $(HOME)/.cache/bai/target
export PATH := $(CURDIR)/.tools/bin:$(PATH)
FORGE := .tools/bin/forge
CARGO ?= cargo
DEVNET_DATADIR ?= testnet/data/devnet
BAI_DEBUG := $(CARGO_TARGET_DIR)/debug/bai
BAI_RELEASE := $(CARGO_TARGET_DIR)/release/bai
# Release builds use this machine's SIMD (candle's quantized CPU kernels pick AVX2/AVX-512 only at compile
# time). Debug builds stay portable; the two never share artifacts.
RELEASE_RUSTFLAGS ?= -C target-cpu=native

.PHONY: help setup build release devnet devnet-down dapp test test-rust test-corpus test-e2e bench bench-cluster genesis genesis-check fmt lint slither clean

help: ## list targets
	@grep -hE '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk -F':.*?## ' '{printf "  make %-18s %s\n", $$1, $$2}'

setup: ## install pinned tools (forge/anvil/cast, solc, forge-std, OpenZeppelin, libclang, JS deps)
	@bash scripts/setup.sh

build: setup ## debug build of the workspace
	$(CARGO) build --workspace

release: setup ## release build of the bai binary
	RUSTFLAGS="$(RELEASE_RUSTFLAGS)" $(CARGO) build --release --workspace --bins

devnet: release contracts-build dapp ## start the whole dev testnet: L1, contracts, inference, sequencer, batcher, verifier, dApp (Ctrl-C stops it; state kept in $(DEVNET_DATADIR); DEVNET_ARGS="--fresh" resets)
	$(BAI_RELEASE) devnet --datadir $(DEVNET_DATADIR) $(DEVNET_ARGS)

devnet-down: ## stop a devnet started with DEVNET_ARGS=--detach
	$(BAI_RELEASE) devnet down --datadir $(DEVNET_DATADIR)

dapp: setup ## build the marketplace dApp into dapp/dist (static; put a config.json beside index.html, see docs/dapp.md)
	cd dapp && npm run --silent build

test: setup ## run every test: Rust unit/integration, Foundry, end-to-end clients
	$(MAKE) test-rust
	$(MAKE) contracts-test genesis-check
	$(MAKE) test-e2e

test-rust: setup ## Rust unit and integration tests (debug)
	$(CARGO) build --workspace
	$(CARGO) test --workspace --no-fail-fast

test-corpus: setup ## the honest-operator corpus test with all 200 generation prompts (make test runs 24): every shipped model, operator path vs the bit-exact reference, judged by the genesis verification rules
	$(CARGO) build --workspace --tests
	BAI_CORPUS_PROMPTS=200 $(CARGO) test --workspace -- --nocapture an_honest_operator_is_within

test-e2e: build ## end-to-end tests with cast, forge script and ethers against the real binary
	@if [ -f testnet/e2e/run.sh ]; then BAI_BIN=$(BAI_DEBUG) bash testnet/e2e/run.sh; else echo "no e2e suite yet"; exit 1; fi

bench: setup ## benchmarks (release): bai vs anvil and vs raw revm; see docs/benchmarks.md
	RUSTFLAGS="$(RELEASE_RUSTFLAGS)" $(CARGO) build --release --workspace --bins
	$(CARGO_TARGET_DIR)/release/bai-bench
	@if [ -f testnet/bench/run.sh ]; then BAI_BIN=$(BAI_RELEASE) bash testnet/bench/run.sh; fi
	BAI_BIN=$(BAI_RELEASE) node testnet/bench/cluster.mjs

bench-cluster: setup ## sequencer cluster benchmark (release): failover time over 20 kills, replica lag, reads on 1 vs 2 replicas
	RUSTFLAGS="$(RELEASE_RUSTFLAGS)" $(CARGO) build --release --workspace --bins
	BAI_BIN=$(BAI_RELEASE) node testnet/bench/cluster.mjs

genesis: setup ## regenerate testnet/genesis/l2-predeploys.json from contracts/script/L2Genesis.s.sol
	cd contracts && BAI_L2_ALLOC_OUT=$(CURDIR)/testnet/genesis/l2-predeploys.json ../$(FORGE) script script/L2Genesis.s.sol >/dev/null
	@echo "wrote testnet/genesis/l2-predeploys.json (rebuild bai to bundle it)"

genesis-check: setup ## fail if the committed predeploy allocation differs from what the contracts produce
	@tmp=$$(mktemp /tmp/bai-alloc.XXXXXX); \
	(cd contracts && BAI_L2_ALLOC_OUT=$$tmp ../$(FORGE) script script/L2Genesis.s.sol >/dev/null) && \
	python3 -c 'import json,sys; a,b=(json.load(open(p)) for p in sys.argv[1:]); sys.exit(0 if a==b else "testnet/genesis/l2-predeploys.json is stale: run make genesis")' $$tmp testnet/genesis/l2-predeploys.json; \
	rc=$$?; rm -f $$tmp; [ $$rc = 0 ] && echo "genesis allocation up to date"; exit $$rc

fmt: ## format Rust code
	$(CARGO) fmt --all

lint: ## formatting, clippy with warnings as errors (workspace lints incl. missing_docs), and the architecture rules (crate layering, no module circles, no error-text matching)
	$(CARGO) fmt --all --check
	python3 scripts/check-architecture.py
	$(CARGO) clippy --workspace --all-targets -- -D warnings

slither: ## static analysis of contracts/src (pinned slither in .tools/slither-venv); fails on High/Medium findings not accepted in contracts/slither.triage.json. Not part of make test
	bash scripts/slither.sh

clean: ## remove build outputs and local chain data
	rm -rf $(DEVNET_DATADIR) contracts/out contracts/cache contracts/out-slither

-include contracts/contracts.mk
