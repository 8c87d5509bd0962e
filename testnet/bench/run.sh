#!/usr/bin/env bash
# bai vs anvil benchmark (`make bench`): native and ERC-20 transfer throughput (send -> receipt) and
# eth_getBalance / eth_call latency+throughput, measured in the same run on the same machine.
#
#   BAI_BIN=target/release/bai bash testnet/bench/run.sh
#   BENCH_TARGETS=anvil bash testnet/bench/run.sh     # anvil only (e.g. before bai exists)
#   BENCH_QUICK=1 ...                                 # small sizes, for a smoke run
#
# Env (defaults in brackets): BAI_BIN [$HOME/.cache/bai/target/release/bai], BENCH_OUT [testnet/bench/results.json],
# BENCH_BLOCK_TIME [0.2: both nodes mine every 200 ms, like for like], BAI_BLOCK_TIME / ANVIL_BLOCK_TIME [from it;
# set one only to explore, the report then says it is not like for like], BAI_BENCH_ARGS [], ANVIL_BENCH_ARGS [--silent],
# BENCH_SENDERS [500], BENCH_ETH_TXS_{ANVIL,BAI} [40000 both], BENCH_ERC_TXS_{ANVIL,BAI} [20000 both], BENCH_BATCH [200],
# BENCH_SUBMIT_CONCURRENCY [8], BENCH_WINDOW [8000], BENCH_READ_CONCURRENCY [16], BENCH_READ_MS [5000],
# BENCH_MAX_FEE_GWEI [2000], BENCH_GAS_LIMIT [each node's default, 30M; sets bai --dev.gas-limit and anvil --gas-limit], BENCH_CACHE_DIR [$HOME/.cache/bai/bench] (pre-signed txs are cached there).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
export PATH=$root/.tools/bin:$PATH
export BAI_BIN=${BAI_BIN:-$HOME/.cache/bai/target/release/bai}
export BENCH_TARGETS=${BENCH_TARGETS:-anvil bai}

if [ ! -x "$root/.tools/bin/anvil" ] || [ ! -x "$root/.tools/bin/forge" ] || [ ! -d "$root/testnet/e2e/node_modules/undici" ] \
  || [ ! -e "$root/contracts/lib/openzeppelin-contracts" ]; then
  bash "$root/scripts/setup.sh"
fi
case " $BENCH_TARGETS " in
  *" bai "*) [ -x "$BAI_BIN" ] || { echo "FATAL: no bai binary at BAI_BIN=$BAI_BIN (or run with BENCH_TARGETS=anvil)" >&2; exit 1; } ;;
esac
(cd "$root/testnet/e2e/forge" && forge build --quiet)

pid=
cleanup() { [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM
node "$here/bench.mjs" &
pid=$!
wait "$pid"
rc=$?
pid=
exit $rc
