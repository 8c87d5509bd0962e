# Makefile fragment for the Foundry project in contracts/ (included by the top-level Makefile).
# Recipes run from the repository root. FORGE is set by the top-level Makefile (.tools/bin/forge).
FORGE ?= .tools/bin/forge
ANVIL ?= .tools/bin/anvil
CONTRACTS_COVERAGE_MIN ?= 90
# make contracts-snapshot UPDATE_SNAPSHOT=1  -> regenerate contracts/.gas-snapshot
UPDATE_SNAPSHOT ?=

.PHONY: contracts-build contracts-test contracts-test-deep contracts-coverage contracts-snapshot \
        contracts-slither contracts-deploy-check contracts-governance-check contracts-l2-handover-check \
        contracts-genesis

contracts-build:
	cd contracts && ../$(FORGE) build

# Unit, fuzz (1,000 runs) and invariant tests. FOUNDRY_PROFILE=deep for 20,000 fuzz runs.
contracts-test:
	cd contracts && ../$(FORGE) test

contracts-test-deep:
	cd contracts && FOUNDRY_PROFILE=deep ../$(FORGE) test

# Line coverage of src/ (fails below CONTRACTS_COVERAGE_MIN %).
contracts-coverage:
	cd contracts && ../$(FORGE) coverage --report summary --no-match-coverage '(test|script)/' \
	  | tee out/coverage.txt
	@python3 -c "import re,sys; t=open('contracts/out/coverage.txt').read(); \
	  m=re.search(r'\|\s*Total\s*\|\s*([0-9.]+)%', t); \
	  p=float(m.group(1)) if m else 0.0; print(f'src/ line coverage: {p}% (minimum $(CONTRACTS_COVERAGE_MIN)%)'); \
	  sys.exit(0 if p >= $(CONTRACTS_COVERAGE_MIN) else 1)"

contracts-snapshot:
ifeq ($(UPDATE_SNAPSHOT),)
	cd contracts && ../$(FORGE) snapshot --check --no-match-path 'test/invariant/*'
else
	cd contracts && ../$(FORGE) snapshot --no-match-path 'test/invariant/*'
endif

# Slither at pinned versions (scripts/slither-requirements.txt, venv .tools/slither-venv) on a src/-only build;
# fails on any High/Medium finding not accepted in contracts/slither.triage.json. Same as `make slither`.
contracts-slither:
	bash scripts/slither.sh

# L2 genesis alloc (BAI_L2_ALLOC_OUT, default contracts/out/l2-alloc.json).
contracts-genesis:
	cd contracts && ../$(FORGE) script script/L2Genesis.s.sol

# Deploys the L1 contracts to a throwaway anvil (prague) and checks the output file.
contracts-deploy-check:
	bash contracts/script/deploy-l1-check.sh

# DeployL1 then DeployGovernance (production hand-over) on a throwaway anvil; checks nothing is left with the deployer.
contracts-governance-check:
	bash contracts/script/deploy-governance-check.sh

# L2Genesis alloc on a throwaway anvil, then L2HandOver (every L2 admin role to the timelock's alias) broadcast and
# read back with cast; the alias accepts the fee vaults and a strict re-run verifies the final state.
contracts-l2-handover-check:
	bash contracts/script/l2-handover-check.sh
