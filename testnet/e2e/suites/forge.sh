#!/usr/bin/env bash
# forge suite: `forge script --broadcast` deploys an OpenZeppelin ERC-20 and transfers tokens; the
# on-chain state is then checked with cast (balances, total supply, receipts, Transfer logs).
# Env: RPC_URL, TARGET, PATH with forge/cast.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=../lib/assert.sh
source "$here/lib/assert.sh"
export ETH_RPC_URL=$RPC_URL
MN="test test test test test test test test test test test junk"
K2=$(cast wallet private-key "$MN" 2); A2=$(cast wallet address --private-key "$K2")
export RECIPIENT=$(cast wallet address --private-key "$(cast keccak bai-e2e/forge/recipient)")
export SUPPLY=1000000000000000000000000 AMOUNT=1234500000000000000000   # 1,000,000 and 1,234.5 tokens
cd "$here/forge"
rm -rf broadcast/DeployToken.s.sol/2977

echo "== forge script --broadcast"
out=$(forge script script/DeployToken.s.sol:DeployToken --rpc-url "$RPC_URL" --private-key "$K2" \
  --broadcast --slow --non-interactive 2>&1) || { echo "$out" >&2; fail "forge script --broadcast failed"; }
echo "$out" | grep -E 'ONCHAIN EXECUTION|Transactions saved|Total Paid|Chain 2977' | sed 's/^/    /' || true
assert_contains "$out" "ONCHAIN EXECUTION COMPLETE & SUCCESSFUL" "forge reports on-chain execution successful"
run=broadcast/DeployToken.s.sol/2977/run-latest.json
[ -f "$run" ] && pass "broadcast log written for chain 2977" || fail "no $run"
R=$(cat "$run")
assert_eq "$(json_get "$R" 'j.transactions.length')" 2 "two transactions broadcast (deploy, transfer)"
assert_eq "$(json_get "$R" 'j.receipts.length')" 2 "two receipts recorded"
assert_eq "$(json_get "$R" 'j.receipts.map(r=>r.status).join(",")')" "0x1,0x1" "both receipts succeeded"
T=$(json_get "$R" 'j.transactions[0].contractAddress')
assert_eq "$(json_get "$R" 'j.transactions[0].transactionType')" CREATE "first tx is the CREATE"
assert_ieq "$T" "$(cast compute-address "$A2" --nonce 0 | awk '{print $NF}')" "token address = CREATE(deployer, 0)"

echo "== on-chain state via cast"
assert_true "'$(cast code "$T")'.length > 1000" "token has code"
assert_eq "$(cast call "$T" 'name()(string)')" '"E2E Token"' "name()"
assert_eq "$(cast call "$T" 'symbol()(string)')" '"E2E"' "symbol()"
assert_eq "$(cast call "$T" 'decimals()(uint8)')" 18 "decimals()"
assert_eq "$(cast call "$T" 'totalSupply()(uint256)' | awk '{print $1}')" "$SUPPLY" "totalSupply()"
assert_eq "$(cast call "$T" 'balanceOf(address)(uint256)' "$RECIPIENT" | awk '{print $1}')" "$AMOUNT" "balanceOf(recipient) = 1234.5 tokens"
assert_eq "$(cast call "$T" 'balanceOf(address)(uint256)' "$A2" | awk '{print $1}')" "$(bn 'BigInt(e.SUPPLY) - BigInt(e.AMOUNT)')" "balanceOf(deployer) = supply - amount"
assert_eq "$(cast nonce "$A2")" 2 "deployer nonce advanced by 2"
TX2=$(json_get "$R" 'j.receipts[1].transactionHash')
rc=$(cast receipt "$TX2" --json)
assert_eq "$(json_get "$rc" 'j.status')" 0x1 "transfer receipt status via cast"
assert_ieq "$(json_get "$rc" 'j.logs[0].address')" "$T" "Transfer log emitted by the token"
assert_eq "$(json_get "$rc" 'j.logs[0].topics[0]')" "$(cast keccak 'Transfer(address,address,uint256)')" "Transfer topic0"
assert_ieq "$(json_get "$rc" 'j.logs[0].topics[2]')" "$(cast to-uint256 "$RECIPIENT")" "Transfer to = recipient"
assert_eq "$(cast to-dec "$(json_get "$rc" 'j.logs[0].data')")" "$AMOUNT" "Transfer value"
BN=$(json_get "$rc" 'Number(j.blockNumber)')
lg=$(cast logs --json --from-block 0 --to-block latest --address "$T" 'Transfer(address indexed,address indexed,uint256)')
assert_eq "$(json_get "$lg" 'j.length')" 2 "two Transfer logs (mint, transfer) via eth_getLogs"

echo "== a second forge broadcast continues from the right nonce"
export RECIPIENT=$A2 AMOUNT=1
out=$(forge script script/DeployToken.s.sol:DeployToken --rpc-url "$RPC_URL" --private-key "$K2" \
  --broadcast --slow --non-interactive 2>&1) || { echo "$out" >&2; fail "second forge script failed"; }
assert_contains "$out" "ONCHAIN EXECUTION COMPLETE & SUCCESSFUL" "second broadcast successful"
assert_eq "$(cast nonce "$A2")" 4 "deployer nonce 4"
checks_done
