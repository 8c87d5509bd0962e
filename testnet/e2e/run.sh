#!/usr/bin/env bash
# End-to-end client tests: starts the real node (bai, or anvil for comparison) fresh per suite on a free
# port in a temp datadir, drives it with cast, forge, ethers v6 and raw JSON-RPC, and fails loudly.
#
#   bash testnet/e2e/run.sh                    # all suites against bai
#   TARGET=anvil bash testnet/e2e/run.sh       # the same suites against anvil
#   SUITES="cast ethers" bash testnet/e2e/run.sh   (suites: cast forge ethers badinput abuse pool crash ai bridge rollup withdraw slashing zk governance faults failover cluster dapp devnet)
#
# Env: BAI_BIN (default $HOME/.cache/bai/target/debug/bai), TARGET=bai|anvil, SUITES (default: all),
#      E2E_KEEP=1 keeps the temp dir (node logs, datadirs) even on success.
set -euo pipefail
E2E_DIR=$(cd "$(dirname "$0")" && pwd)
E2E_ROOT=$(cd "$E2E_DIR/../.." && pwd)
export E2E_DIR E2E_ROOT
export TARGET=${TARGET:-bai}
export BAI_BIN=${BAI_BIN:-$HOME/.cache/bai/target/debug/bai}
ALL_SUITES="cast forge ethers badinput abuse pool crash ai bridge rollup withdraw slashing zk governance faults failover cluster dapp devnet devnet-cluster"
SUITES=${SUITES:-$ALL_SUITES}
export PATH=$E2E_ROOT/.tools/bin:$PATH
# nodes log the RPC calls they refuse (method, code, message), so a failed suite's node log says why
export RUST_LOG=${RUST_LOG:-info,jsonrpsee=warn,rpc=debug}

log() { printf '\033[1;35m[e2e]\033[0m %s\n' "$*"; }

need_setup=0
if [ ! -x "$E2E_ROOT/.tools/bin/forge" ] || [ ! -x "$E2E_ROOT/.tools/bin/anvil" ] || [ ! -x "$E2E_ROOT/.tools/bin/cast" ] \
  || [ ! -e "$E2E_ROOT/contracts/lib/openzeppelin-contracts" ] || [ ! -d "$E2E_DIR/node_modules/ethers" ] \
  || [ ! -d "$E2E_DIR/node_modules/playwright-core" ] || [ ! -d "$E2E_DIR/node_modules/viem" ]; then
  need_setup=1
fi
case " $SUITES " in *" dapp "*) [ -x "${CHROMIUM_BIN:-/usr/bin/chromium}" ] && [ -d "$E2E_ROOT/dapp/node_modules/vite" ] || need_setup=1 ;; esac
if [ $need_setup = 1 ]; then
  log "tools missing; running scripts/setup.sh"
  bash "$E2E_ROOT/scripts/setup.sh"
fi
if [ "$TARGET" = bai ] && [ ! -x "$BAI_BIN" ]; then
  echo "FATAL: no bai binary at BAI_BIN=$BAI_BIN (build it, or run with TARGET=anvil)" >&2
  exit 1
fi

E2E_TMP=$(mktemp -d "${TMPDIR:-/tmp}/bai-e2e.XXXXXX")
export E2E_TMP
# shellcheck source=lib/node.sh
source "$E2E_DIR/lib/node.sh"

STATUS=1
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [ -n "${SUITE_PID:-}" ] && kill -0 "$SUITE_PID" 2>/dev/null; then
    kill -TERM "$SUITE_PID" 2>/dev/null || true # timeout(1) passes it on to the suite
    wait "$SUITE_PID" 2>/dev/null || true
  fi
  node_stop_all
  # the crash suite's node children are tracked by pid files; stop any still alive
  local f p
  for f in "$E2E_TMP"/*.pid; do
    [ -e "$f" ] || continue
    p=$(cat "$f")
    if kill -0 "$p" 2>/dev/null; then kill -KILL "$p" 2>/dev/null || true; fi
  done
  if [ "$STATUS" = 0 ] && [ "${E2E_KEEP:-0}" != 1 ]; then
    rm -rf "$E2E_TMP"
  else
    log "logs and datadirs kept in $E2E_TMP"
  fi
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

log "target $TARGET$([ "$TARGET" = bai ] && echo " ($BAI_BIN)"); suites: $SUITES"
log "building the forge project (testnet/e2e/forge)"
(cd "$E2E_DIR/forge" && forge build --quiet) || { echo "FATAL: forge build failed" >&2; exit 1; }

declare -A RESULT
failed=0
run_suite() { # name command...
  local name=$1; shift
  local t0=$SECONDS rc=0
  log "---- suite $name ----"
  NODE_LOG=
  local own_nodes=0
  case $name in crash | ai | bridge | rollup | withdraw | slashing | zk | governance | faults | failover | cluster | dapp | devnet) own_nodes=1; NODE_LOG=$E2E_TMP/$name.log ;; esac # these suites start their nodes themselves
  if [ $own_nodes = 0 ]; then
    # badinput runs bai with a small eth_getLogs range cap so the cap can be hit on a young chain
    local extra=""
    if [ "$name" = badinput ] && [ "$TARGET" = bai ]; then extra="--rpc.max-logs-range $E2E_LOGS_RANGE"; fi
    # abuse: a logs range cap a cheaply mined chain can exceed, and exactly the namespaces the suite
    # uses: debug (debug_traceCall), txpool, evm (evm_mine)
    if [ "$name" = abuse ]; then extra="--rpc.max-logs-range $E2E_ABUSE_LOGS_RANGE --http.api eth,net,web3,debug,txpool,evm"; fi
    local bt=1s
    [ "$name" = pool ] && bt=100ms # blocks built while txs keep arriving
    BAI_EXTRA_ARGS="${BAI_EXTRA_ARGS:-} $extra" node_start "$name" "$bt" || { RESULT[$name]="FAIL (node did not start)"; failed=1; return; }
    export RPC_URL WS_URL NODE_LOG NODE_PID # NODE_PID: the abuse suite reads the node's peak RSS from /proc
  fi
  # in the background + wait, so a TERM/INT to this script is handled at once (cleanup kills it all)
  local limit=${E2E_SUITE_TIMEOUT:-420}
  [ "$name" = ai ] && limit=${E2E_AI_TIMEOUT:-900} # loads two models in a debug build
  [ "$name" = crash ] && limit=${E2E_CRASH_TIMEOUT:-600} # 20 kill -9 rounds, each restarting a debug build
  [ "$name" = rollup ] && limit=${E2E_ROLLUP_TIMEOUT:-720} # an inference server, a sequencer and a verifier
  [ "$name" = withdraw ] && limit=${E2E_WITHDRAW_TIMEOUT:-360} # two L1s and sequencers, two 20 s challenge windows
  [ "$name" = slashing ] && limit=${E2E_SLASHING_TIMEOUT:-600} # an inference server and two nodes loading the models
  [ "$name" = zk ] && limit=${E2E_ZK_TIMEOUT:-600} # proving classifications in a debug build, a sequencer, a replica and a verifier
  [ "$name" = faults ] && limit=${E2E_FAULTS_TIMEOUT:-540} # the embedding model loaded four times, five faults under load
  [ "$name" = dapp ] && limit=${E2E_DAPP_TIMEOUT:-600} # the same models, plus anvil, a dApp build and Chromium
  [ "$name" = devnet ] && limit=${E2E_DEVNET_TIMEOUT:-600} # the whole devnet, started twice
  # the output also goes to <suite>.out, whose failure report is repeated after the summary (a CI log
  # shows its tail)
  timeout -k 10 "$limit" "$@" > >(tee "$E2E_TMP/$name.out") 2>&1 &
  SUITE_PID=$!
  wait "$SUITE_PID" || rc=$?
  SUITE_PID=
  if [ $own_nodes = 0 ]; then
    if ! kill -0 "$NODE_PID" 2>/dev/null; then
      echo "node died during suite $name; last log lines:" >&2; tail -n 40 "$NODE_LOG" >&2
      [ "$rc" = 0 ] && rc=1
    fi
    node_stop TERM || { echo "node did not stop on SIGTERM within 10 s (graceful shutdown broken)" >&2; [ "$TARGET" = bai ] && rc=1; }
  fi
  if [ $rc = 0 ]; then
    RESULT[$name]="pass ($((SECONDS - t0)) s)"
  else
    RESULT[$name]="FAIL rc=$rc ($((SECONDS - t0)) s)"
    failed=1
    # (|| true: under set -e a missing log must not end the whole run before the other suites and the summary)
    [ -n "${NODE_LOG:-}" ] && [ -f "$NODE_LOG" ] && { echo "---- last node log lines ($NODE_LOG) ----" >&2; tail -n 30 "$NODE_LOG" >&2; } || true
  fi
}

# a test file run directly with node executes its node:test tests in-process (no runner child) and exits
# non-zero when one fails
SUITE_PID=
export E2E_LOGS_RANGE=5
export E2E_ABUSE_LOGS_RANGE=100
NODE_TEST=(node --test-reporter=spec)
for s in $SUITES; do
  case $s in
    cast) run_suite cast bash "$E2E_DIR/suites/cast.sh" ;;
    forge) run_suite forge bash "$E2E_DIR/suites/forge.sh" ;;
    ethers) run_suite ethers "${NODE_TEST[@]}" "$E2E_DIR/suites/ethers.test.mjs" ;;
    badinput) run_suite badinput "${NODE_TEST[@]}" "$E2E_DIR/suites/badinput.test.mjs" ;;
    abuse) if [ "$TARGET" = bai ]; then run_suite abuse "${NODE_TEST[@]}" "$E2E_DIR/suites/abuse.test.mjs"; else RESULT[abuse]="n/a (bai only)"; fi ;;
    pool) run_suite pool "${NODE_TEST[@]}" "$E2E_DIR/suites/pool.test.mjs" ;;
    crash) run_suite crash "${NODE_TEST[@]}" "$E2E_DIR/suites/crash.test.mjs" ;;
    ai) if [ "$TARGET" = bai ]; then run_suite ai "${NODE_TEST[@]}" "$E2E_DIR/suites/ai.test.mjs"; else RESULT[ai]="n/a (bai only)"; fi ;;
    bridge) if [ "$TARGET" = bai ]; then run_suite bridge "${NODE_TEST[@]}" "$E2E_DIR/suites/bridge.test.mjs"; else RESULT[bridge]="n/a (bai only)"; fi ;;
    rollup) if [ "$TARGET" = bai ]; then run_suite rollup "${NODE_TEST[@]}" "$E2E_DIR/suites/rollup.test.mjs"; else RESULT[rollup]="n/a (bai only)"; fi ;;
    withdraw) if [ "$TARGET" = bai ]; then run_suite withdraw "${NODE_TEST[@]}" "$E2E_DIR/suites/withdraw.test.mjs"; else RESULT[withdraw]="n/a (bai only)"; fi ;;
    slashing) if [ "$TARGET" = bai ]; then run_suite slashing "${NODE_TEST[@]}" "$E2E_DIR/suites/slashing.test.mjs"; else RESULT[slashing]="n/a (bai only)"; fi ;;
    zk) if [ "$TARGET" = bai ]; then run_suite zk "${NODE_TEST[@]}" "$E2E_DIR/suites/zk.test.mjs"; else RESULT[zk]="n/a (bai only)"; fi ;;
    governance) if [ "$TARGET" = bai ]; then run_suite governance "${NODE_TEST[@]}" "$E2E_DIR/suites/governance.test.mjs"; else RESULT[governance]="n/a (bai only)"; fi ;;
    faults) if [ "$TARGET" = bai ]; then run_suite faults "${NODE_TEST[@]}" "$E2E_DIR/suites/faults.test.mjs"; else RESULT[faults]="n/a (bai only)"; fi ;;
    failover) if [ "$TARGET" = bai ]; then run_suite failover "${NODE_TEST[@]}" "$E2E_DIR/suites/failover.test.mjs"; else RESULT[failover]="n/a (bai only)"; fi ;;
    cluster) if [ "$TARGET" = bai ]; then run_suite cluster "${NODE_TEST[@]}" "$E2E_DIR/suites/cluster.test.mjs"; else RESULT[cluster]="n/a (bai only)"; fi ;;
    dapp) if [ "$TARGET" = bai ]; then run_suite dapp "${NODE_TEST[@]}" "$E2E_DIR/suites/dapp.test.mjs"; else RESULT[dapp]="n/a (bai only)"; fi ;;
    devnet) if [ "$TARGET" = bai ]; then run_suite devnet "${NODE_TEST[@]}" "$E2E_DIR/suites/devnet.test.mjs"; else RESULT[devnet]="n/a (bai only)"; fi ;;
    devnet-cluster) if [ "$TARGET" = bai ]; then run_suite devnet-cluster "${NODE_TEST[@]}" "$E2E_DIR/suites/devnet-cluster.test.mjs"; else RESULT[devnet-cluster]="n/a (bai only)"; fi ;;
    *) echo "unknown suite $s (known: $ALL_SUITES)" >&2; RESULT[$s]="FAIL (unknown)"; failed=1 ;;
  esac
done

log "==== summary (TARGET=$TARGET) ===="
for s in $SUITES; do printf '  %-10s %s\n' "$s" "${RESULT[$s]}"; done
if [ $failed = 0 ]; then STATUS=0; log "all suites passed"; exit 0; fi
# Each failed suite's failure report again, last, where a truncated CI log still shows it: node's spec
# reporter lists the failing tests with their errors at the end; a shell suite's last lines say why.
for s in $SUITES; do
  case ${RESULT[$s]} in FAIL*) ;; *) continue ;; esac
  out=$E2E_TMP/$s.out
  [ -f "$out" ] || continue
  log "---- why $s failed (whole output: $out) ----"
  if grep -q 'failing tests:' "$out"; then
    sed -e 's/\x1b\[[0-9;]*m//g' "$out" | sed -n '/failing tests:/,$p' | grep -v '^ *at .*node:internal\|^ *at async Promise\|^ℹ ' | head -n 80
  else
    sed -e 's/\x1b\[[0-9;]*m//g' "$out" | tail -n 30
  fi
done
log "SOME SUITES FAILED"
exit 1
