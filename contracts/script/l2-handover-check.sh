#!/usr/bin/env bash
# Shell check of script/L2HandOver.s.sol against a real node: an anvil (--hardfork prague) started from the L2
# genesis alloc (L2Genesis, devnet defaults: BAI_ADMIN = anvil key 0), a governance JSON as DeployGovernance
# writes it, then the hand-over is broadcast (with an L2 guardian, BAI_L2_GUARDIAN) and read back with cast; the
# guardian pauses the marketplace and cannot unpause it; the alias (impersonated: what a proposal's deposits do)
# unpauses it and accepts the fee vaults, and a re-run with BAI_L2_HANDOVER_REQUIRE_ACCEPTED=true verifies the
# final state.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
bin=$root/.tools/bin
port=${PORT:-18549}
rpc=http://127.0.0.1:$port
tmp=$(mktemp -d /tmp/bai-l2-handover.XXXXXX)
alloc=$tmp/alloc.json genesis=$tmp/genesis.json gov=$tmp/gov.json out=$tmp/l2-handover.json
pid=
trap '[ -n "$pid" ] && kill $pid 2>/dev/null; rm -rf "$tmp"' EXIT
cd "$root/contracts"
BAI_L2_ALLOC_OUT="$alloc" "$bin/forge" script script/L2Genesis.s.sol >/dev/null
admin=0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266
timelock=0x5FbDB2315678afecb367f032d93F642f64180aa3 # any L1 address: only its alias matters on L2
guardian=0x9965507D1a55bcC2695C58ba16FB37d819B0A4dc  # anvil dev #5: stands in for a security council
alias=$(python3 - "$alloc" "$genesis" "$gov" "$timelock" "$admin" <<'EOF'
import json, sys
alloc_path, genesis_path, gov_path, timelock, admin = sys.argv[1:]
alloc = json.load(open(alloc_path))
alloc[admin.lower()] = {"balance": hex(10**24)}
json.dump({"config": {"chainId": 1337}, "gasLimit": "0x1c9c380", "timestamp": "0x0", "difficulty": "0x0",
           "alloc": alloc}, open(genesis_path, "w"))
a = "0x%040x" % ((int(timelock, 16) + 0x1111000000000000000000000000000000001111) % (1 << 160))
json.dump({"TimelockController": timelock, "timelockL2Alias": a}, open(gov_path, "w"))
print(a)
EOF
)
"$bin/anvil" --hardfork prague --port "$port" --init "$genesis" --silent >/dev/null 2>&1 &
pid=$!
for _ in $(seq 50); do "$bin/cast" chain-id --rpc-url "$rpc" >/dev/null 2>&1 && break; sleep 0.2; done
c() { "$bin/cast" call --rpc-url "$rpc" "$@"; }
lc() { tr '[:upper:]' '[:lower:]'; }
[ "$(c 0x4200000000000000000000000000000000000B00 'hasRole(bytes32,address)(bool)' 0x0000000000000000000000000000000000000000000000000000000000000000 $admin)" = true ] \
  || { echo "the genesis admin does not hold the marketplace's DEFAULT_ADMIN_ROLE"; exit 1; }

BAI_GOV_DEPLOY_OUT="$gov" BAI_L2_HANDOVER_OUT="$out" BAI_L2_GUARDIAN=$guardian \
  "$bin/forge" script script/L2HandOver.s.sol --rpc-url "$rpc" --broadcast >/dev/null

zero=0x0000000000000000000000000000000000000000000000000000000000000000
gov_role=$(c 0x4200000000000000000000000000000000000B00 'GOVERNOR_ROLE()(bytes32)')
mod_role=$(c 0x4200000000000000000000000000000000000B00 'MODERATOR_ROLE()(bytes32)')
slasher_role=$(c 0x4200000000000000000000000000000000000b01 'SLASHER_ROLE()(bytes32)')
challenger_role=$(c 0x4200000000000000000000000000000000000B05 'CHALLENGER_ROLE()(bytes32)')
guardian_role=$(c 0x4200000000000000000000000000000000000B00 'GUARDIAN_ROLE()(bytes32)')
# contract role expected-for-alias
checks="0x4200000000000000000000000000000000000B00:$zero:true 0x4200000000000000000000000000000000000B00:$gov_role:true
0x4200000000000000000000000000000000000B00:$mod_role:true 0x4200000000000000000000000000000000000b01:$zero:true
0x4200000000000000000000000000000000000b01:$gov_role:true 0x4200000000000000000000000000000000000b01:$slasher_role:false
0x4200000000000000000000000000000000000B04:$zero:true 0x4200000000000000000000000000000000000B04:$gov_role:true
0x4200000000000000000000000000000000000B04:$slasher_role:false 0x4200000000000000000000000000000000000B05:$zero:true
0x4200000000000000000000000000000000000B05:$challenger_role:false 0x4200000000000000000000000000000000000B00:$guardian_role:false"
for chk in $checks; do
  IFS=: read -r target role want <<<"$chk"
  [ "$(c "$target" 'hasRole(bytes32,address)(bool)' "$role" $admin)" = false ] || { echo "admin keeps $role on $target"; exit 1; }
  [ "$(c "$target" 'hasRole(bytes32,address)(bool)' "$role" "$alias")" = "$want" ] || { echo "alias $role on $target"; exit 1; }
done
# Operational holders untouched: dev #1 (BAI_SLASHER / BAI_CHALLENGER) and InferenceDisputes.
dev1=0x70997970C51812dc3A010C7d01b50e0d17dc79C8
[ "$(c 0x4200000000000000000000000000000000000b01 'hasRole(bytes32,address)(bool)' "$slasher_role" $dev1)" = true ] || { echo "Staking slasher moved"; exit 1; }
[ "$(c 0x4200000000000000000000000000000000000b01 'hasRole(bytes32,address)(bool)' "$slasher_role" 0x4200000000000000000000000000000000000B05)" = true ] || { echo "InferenceDisputes lost SLASHER_ROLE"; exit 1; }
[ "$(c 0x4200000000000000000000000000000000000B05 'hasRole(bytes32,address)(bool)' "$challenger_role" $dev1)" = true ] || { echo "challenger moved"; exit 1; }
vaults="0x4200000000000000000000000000000000000011 0x4200000000000000000000000000000000000019 0x420000000000000000000000000000000000001A"
for v in $vaults; do
  [ "$(c "$v" 'owner()(address)' | lc)" = "$(echo $admin | lc)" ] || { echo "vault $v owner"; exit 1; }
  [ "$(c "$v" 'pendingOwner()(address)' | lc)" = "$(echo "$alias" | lc)" ] || { echo "vault $v pending owner"; exit 1; }
done
get() { python3 -c "import json,sys;print(json.load(open('$out'))['$1'])"; }
[ "$(get complete)" = False ] || { echo "JSON: complete"; exit 1; }
[ "$(get timelockL2Alias | lc)" = "$(echo "$alias" | lc)" ] || { echo "JSON: alias"; exit 1; }
[ "$(get guardian | lc)" = "$(echo $guardian | lc)" ] || { echo "JSON: guardian"; exit 1; }

# The L2 guardian holds GUARDIAN_ROLE (only that) and pauses the marketplace at once; it cannot unpause.
mkt=0x4200000000000000000000000000000000000B00
[ "$(c $mkt 'hasRole(bytes32,address)(bool)' "$guardian_role" $guardian)" = true ] || { echo "guardian lacks GUARDIAN_ROLE"; exit 1; }
[ "$(c $mkt 'hasRole(bytes32,address)(bool)' "$gov_role" $guardian)" = false ] || { echo "guardian is a governor"; exit 1; }
for who in $guardian "$alias"; do
  "$bin/cast" rpc --rpc-url "$rpc" anvil_impersonateAccount "$who" >/dev/null
  "$bin/cast" rpc --rpc-url "$rpc" anvil_setBalance "$who" 0xde0b6b3a7640000 >/dev/null
done
"$bin/cast" send --rpc-url "$rpc" --unlocked --from $guardian $mkt 'pause()' >/dev/null
[ "$(c $mkt 'paused()(bool)')" = true ] || { echo "the guardian could not pause"; exit 1; }
if "$bin/cast" send --rpc-url "$rpc" --unlocked --from $guardian $mkt 'unpause()' >/dev/null 2>&1; then
  echo "the guardian could unpause"; exit 1
fi
# Governance lifts the pause (a proposal's L2 action, from the alias).
"$bin/cast" send --rpc-url "$rpc" --unlocked --from "$alias" $mkt 'unpause()' >/dev/null
[ "$(c $mkt 'paused()(bool)')" = false ] || { echo "the alias could not unpause"; exit 1; }

# The acceptance proposal's L2 actions, from the alias.
for v in $vaults; do
  "$bin/cast" send --rpc-url "$rpc" --unlocked --from "$alias" "$v" 'acceptOwnership()' >/dev/null
done
BAI_GOV_DEPLOY_OUT="$gov" BAI_L2_HANDOVER_OUT="$out" BAI_L2_HANDOVER_REQUIRE_ACCEPTED=true BAI_L2_GUARDIAN=$guardian \
  "$bin/forge" script script/L2HandOver.s.sol --rpc-url "$rpc" >/dev/null
[ "$(get complete)" = True ] || { echo "JSON: not complete after acceptance"; exit 1; }
for v in $vaults; do
  [ "$(c "$v" 'owner()(address)' | lc)" = "$(echo "$alias" | lc)" ] || { echo "vault $v owner after acceptance"; exit 1; }
done
echo "L2HandOver OK: alias=$alias holds every L2 admin role and owns the fee vaults; guardian=$guardian pauses only;" \
  "the genesis admin holds nothing"
