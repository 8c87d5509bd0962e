# shellcheck shell=bash
# Starting and stopping one node under test (bai or anvil) for the end-to-end suites and the bench.
# Source this file; it needs E2E_ROOT (the repo root) and TARGET (bai|anvil).
#
#   node_start <name> <block-time e.g. 1s|250ms> [datadir]   sets NODE_PID NODE_PORT NODE_DATADIR NODE_LOG
#                                                           RPC_URL WS_URL
#   node_stop [signal]                                      TERM (default) then KILL after a grace period
#   node_stop_all                                           trap helper: stops every node this shell started

: "${E2E_ROOT:?}"
: "${TARGET:=bai}"
TOOLS_BIN=${TOOLS_BIN:-$E2E_ROOT/.tools/bin}
BAI_BIN=${BAI_BIN:-$HOME/.cache/bai/target/debug/bai}
ANVIL_BIN=${ANVIL_BIN:-$TOOLS_BIN/anvil}
DEV_MNEMONIC="test test test test test test test test test test test junk"
CHAIN_ID=2977
_NODE_PIDS=()

free_port() {
  node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

# block time "1s" / "250ms" -> seconds for anvil
_bt_seconds() {
  case $1 in
    *ms) awk -v v="${1%ms}" 'BEGIN{printf "%g", v/1000}' ;;
    *s) echo "${1%s}" ;;
    *) echo "$1" ;;
  esac
}

_rpc_ready() { # url
  curl -sf -m 2 -H 'content-type: application/json' \
    -d '{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":[]}' "$1" 2>/dev/null | grep -q '"result"'
}

# node_start name blocktime [datadir] [port]
node_start() {
  local name=$1 bt=${2:-1s} dir=${3:-} port=${4:-}
  [ -n "$port" ] || port=$(free_port)
  if [ -z "$dir" ]; then dir=$(mktemp -d "${E2E_TMP:-/tmp}/node-$name-XXXX"); fi
  mkdir -p "$dir"
  NODE_LOG=${E2E_TMP:-/tmp}/node-$name.log
  NODE_DATADIR=$dir
  NODE_PORT=$port
  RPC_URL=http://127.0.0.1:$port
  WS_URL=ws://127.0.0.1:$port
  case $TARGET in
    bai)
      [ -x "$BAI_BIN" ] || { echo "FATAL: bai binary not found at BAI_BIN=$BAI_BIN" >&2; return 1; }
      # shellcheck disable=SC2086
      "$BAI_BIN" node --dev --datadir "$dir" --http.addr 127.0.0.1 --http.port "$port" \
        --block-time "$bt" ${BAI_EXTRA_ARGS:-} >>"$NODE_LOG" 2>&1 &
      ;;
    anvil)
      # shellcheck disable=SC2086
      "$ANVIL_BIN" --host 127.0.0.1 --port "$port" --chain-id $CHAIN_ID --mnemonic "$DEV_MNEMONIC" \
        --accounts 10 --balance 10000 --block-time "$(_bt_seconds "$bt")" ${ANVIL_EXTRA_ARGS---steps-tracing} \
        >>"$NODE_LOG" 2>&1 &
      ;;
    *) echo "FATAL: TARGET must be bai or anvil (got $TARGET)" >&2; return 1 ;;
  esac
  NODE_PID=$!
  _NODE_PIDS+=("$NODE_PID")
  local i
  for i in $(seq 1 300); do # up to 60 s (a debug build opening a datadir can be slow)
    if ! kill -0 "$NODE_PID" 2>/dev/null; then
      echo "FATAL: $TARGET exited during startup; log $NODE_LOG:" >&2; tail -n 40 "$NODE_LOG" >&2; return 1
    fi
    if _rpc_ready "$RPC_URL"; then
      echo "[node] $TARGET '$name' pid $NODE_PID ready at $RPC_URL (datadir $dir, block time $bt)"
      return 0
    fi
    sleep 0.2
  done
  echo "FATAL: $TARGET did not answer at $RPC_URL within 60 s; log $NODE_LOG:" >&2
  tail -n 40 "$NODE_LOG" >&2
  return 1
}

_stop_pid() { # pid signal
  local pid=$1 sig=${2:-TERM} i
  kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null; return 0; }
  kill -"$sig" "$pid" 2>/dev/null || true
  for i in $(seq 1 100); do
    kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null; return 0; }
    sleep 0.1
  done
  echo "[node] pid $pid ignored SIG$sig for 10 s; sending KILL" >&2
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  return 1
}

node_stop() {
  [ -n "${NODE_PID:-}" ] || return 0
  _stop_pid "$NODE_PID" "${1:-TERM}"
  local rc=$?
  NODE_PID=
  return $rc
}

node_stop_all() {
  local p
  for p in "${_NODE_PIDS[@]}"; do _stop_pid "$p" TERM || true; done
  _NODE_PIDS=()
}
