#!/usr/bin/env bash
# Shell check of script/DeployL1.s.sol against a real anvil (--hardfork prague): deploys, then reads
# the written addresses back with cast and checks the wiring.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
bin=$root/.tools/bin
port=${PORT:-18547}
rpc=http://127.0.0.1:$port
out=$(mktemp /tmp/bai-l1-deploy.XXXXXX.json)
"$bin/anvil" --hardfork prague --port "$port" --silent >/dev/null 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; rm -f "$out"' EXIT
for _ in $(seq 50); do "$bin/cast" chain-id --rpc-url "$rpc" >/dev/null 2>&1 && break; sleep 0.2; done
(cd "$root/contracts" && BAI_L1_DEPLOY_OUT="$out" "$bin/forge" script script/DeployL1.s.sol --rpc-url "$rpc" --broadcast >/dev/null)
get() { python3 -c "import json,sys;print(json.load(open('$out'))['$1'])"; }
portal=$(get OptimismPortal); oracle=$(get L2OutputOracle); token=$(get BaiToken); sc=$(get SystemConfig)
c() { "$bin/cast" call --rpc-url "$rpc" "$@"; }
[ "$(c "$portal" 'version()(string)')" = '"2.8.0"' ] || { echo "portal version"; exit 1; }
[ "$(c "$portal" 'l2Oracle()(address)')" = "$oracle" ] || { echo "portal oracle"; exit 1; }
[ "$(c "$sc" 'optimismPortal()(address)')" = "$portal" ] || { echo "systemconfig portal"; exit 1; }
[ "$(c "$token" 'symbol()(string)')" = '"BAI"' ] || { echo "token"; exit 1; }
[ "$(c "$oracle" 'SUBMISSION_INTERVAL()(uint256)')" = "10" ] || { echo "oracle interval"; exit 1; }
echo "DeployL1 OK: token=$token oracle=$oracle portal=$portal systemConfig=$sc"
