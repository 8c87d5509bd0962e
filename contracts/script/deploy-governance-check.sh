#!/usr/bin/env bash
# Shell check of script/DeployGovernance.s.sol against a real anvil (--hardfork prague): DeployL1, then
# DeployGovernance reading DeployL1's JSON (devnet defaults), then the hand-over is read back with cast.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
bin=$root/.tools/bin
port=${PORT:-18548}
rpc=http://127.0.0.1:$port
l1=$(mktemp /tmp/bai-l1-deploy.XXXXXX.json)
gov=$(mktemp /tmp/bai-gov-deploy.XXXXXX.json)
"$bin/anvil" --hardfork prague --port "$port" --silent >/dev/null 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; rm -f "$l1" "$gov"' EXIT
for _ in $(seq 50); do "$bin/cast" chain-id --rpc-url "$rpc" >/dev/null 2>&1 && break; sleep 0.2; done
cd "$root/contracts"
BAI_L1_DEPLOY_OUT="$l1" "$bin/forge" script script/DeployL1.s.sol --rpc-url "$rpc" --broadcast >/dev/null
BAI_L1_DEPLOY_OUT="$l1" BAI_GOV_DEPLOY_OUT="$gov" \
  "$bin/forge" script script/DeployGovernance.s.sol --rpc-url "$rpc" --broadcast >/dev/null
get() { python3 -c "import json,sys;print(json.load(open('$1'))['$2'])"; }
deployer=$("$bin/cast" wallet address --private-key 0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80)
sc=$(get "$l1" SystemConfig); portal=$(get "$l1" OptimismPortal); token=$(get "$l1" BaiToken)
tl=$(get "$gov" TimelockController); governor=$(get "$gov" BaiGovernor)
[ "$(get "$gov" SystemConfig)" = "$sc" ] || { echo "governance JSON: SystemConfig"; exit 1; }
c() { "$bin/cast" call --rpc-url "$rpc" "$@"; }
lc() { tr '[:upper:]' '[:lower:]'; }
[ "$(c "$sc" 'owner()(address)' | lc)" = "$(echo "$tl" | lc)" ] || { echo "SystemConfig owner is not the timelock"; exit 1; }
[ "$(c "$sc" 'pendingOwner()(address)')" = "0x0000000000000000000000000000000000000000" ] || { echo "pending owner"; exit 1; }
[ "$(c "$portal" 'guardian()(address)' | lc)" = "$(echo "$tl" | lc)" ] || { echo "portal guardian is not the timelock"; exit 1; }
[ "$(c "$governor" 'timelock()(address)' | lc)" = "$(echo "$tl" | lc)" ] || { echo "governor timelock"; exit 1; }
[ "$(c "$governor" 'token()(address)' | lc)" = "$(echo "$token" | lc)" ] || { echo "governor token"; exit 1; }
[ "$(c "$tl" 'getMinDelay()(uint256)')" = "60" ] || { echo "timelock delay"; exit 1; }
for role in DEFAULT_ADMIN_ROLE PROPOSER_ROLE CANCELLER_ROLE EXECUTOR_ROLE; do
  r=$(c "$tl" "$role()(bytes32)")
  [ "$(c "$tl" 'hasRole(bytes32,address)(bool)' "$r" "$deployer")" = "false" ] || { echo "deployer holds $role"; exit 1; }
  want=true; [ "$role" = DEFAULT_ADMIN_ROLE ] && want=false
  [ "$(c "$tl" 'hasRole(bytes32,address)(bool)' "$r" "$governor")" = "$want" ] || { echo "governor $role"; exit 1; }
done
echo "DeployGovernance OK: timelock=$tl governor=$governor (owns SystemConfig, guards the portal; deployer holds nothing)"
