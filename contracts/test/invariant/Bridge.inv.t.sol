// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {Test} from "forge-std/Test.sol";
import {L1Base} from "../L1/Portal.t.sol";
import {BaiPortal} from "../../src/L1/BaiPortal.sol";
import {BaiToken} from "../../src/L1/BaiToken.sol";
import {L2OutputOracle} from "../../src/L1/L2OutputOracle.sol";
import {Types} from "../../src/libraries/Types.sol";
import {Hashing} from "../../src/libraries/Hashing.sol";

/// @notice Drives deposits, L2 withdrawals, proposals, proofs and finalizations. Every withdrawal is
///         proven with a genuine Merkle-Patricia proof of a one-leaf storage trie that holds its slot.
contract BridgeHandler is Test {
    BaiPortal internal portal;
    BaiToken internal token;
    L2OutputOracle internal oracle;
    address internal proposer;
    address internal user = makeAddr("bridgeUser");

    uint256 public ghostMinted;
    uint256 public ghostL2Supply;
    uint256 public ghostFinalized;
    uint256 public doubleFinalizations;
    uint256 public earlyFinalizations;
    uint256 internal nonce;
    Types.WithdrawalTransaction[] internal pending;
    mapping(bytes32 => uint256) public provenAt;

    constructor(BaiPortal _p, BaiToken _t, L2OutputOracle _o, address _proposer) {
        (portal, token, oracle, proposer) = (_p, _t, _o, _proposer);
    }

    function deposit(uint256 amount) external {
        amount = bound(amount, 0, 1_000 ether);
        deal(address(token), user, amount);
        vm.startPrank(user, user);
        token.approve(address(portal), amount);
        portal.depositERC20Transaction(user, amount, 0, 100_000, false, "");
        vm.stopPrank();
        ghostMinted += amount;
        ghostL2Supply += amount;
    }

    function withdrawAndProve(uint256 amount) external {
        if (ghostL2Supply == 0) return;
        amount = bound(amount, 1, ghostL2Supply);
        ghostL2Supply -= amount;
        Types.WithdrawalTransaction memory w =
            Types.WithdrawalTransaction(nonce++, user, address(0xBEEF), amount, 100_000, "");
        bytes32 h = Hashing.hashWithdrawal(w);
        bytes32 key = keccak256(abi.encodePacked(keccak256(abi.encode(h, uint256(0)))));
        bytes memory leaf = abi.encodePacked(hex"e3a120", key, hex"01");
        Types.OutputRootProof memory orp = Types.OutputRootProof(0, keccak256("state"), keccak256(leaf), keccak256("blk"));
        uint256 next = oracle.nextBlockNumber();
        if (oracle.computeL2Timestamp(next) >= block.timestamp) vm.warp(oracle.computeL2Timestamp(next) + 1);
        uint256 idx = oracle.nextOutputIndex();
        vm.prank(proposer);
        oracle.proposeL2Output(Hashing.hashOutputRootProof(orp), next, bytes32(0), 0);
        bytes[] memory proof = new bytes[](1);
        proof[0] = leaf;
        portal.proveWithdrawalTransaction(w, idx, orp, proof);
        provenAt[h] = block.timestamp;
        pending.push(w);
    }

    function warp(uint256 dt) external {
        vm.warp(block.timestamp + bound(dt, 0, 4 days));
    }

    function finalize(uint256 i) external {
        if (pending.length == 0) return;
        Types.WithdrawalTransaction memory w = pending[bound(i, 0, pending.length - 1)];
        bytes32 h = Hashing.hashWithdrawal(w);
        bool was = portal.finalizedWithdrawals(h);
        try portal.finalizeWithdrawalTransaction(w) {
            if (was) doubleFinalizations++;
            if (block.timestamp <= provenAt[h] + oracle.FINALIZATION_PERIOD_SECONDS()) earlyFinalizations++;
            ghostFinalized += w.value;
        } catch {}
    }
}

contract BridgeInvariants is L1Base {
    BridgeHandler internal handler;

    function setUp() public override {
        super.setUp();
        handler = new BridgeHandler(portal, token, oracle, proposer);
        targetContract(address(handler));
    }

    /// L1 BAI locked in the portal ≥ native BAI minted on L2 minus finalized withdrawals.
    function invariant_bridgeSolvency() public view {
        assertGe(token.balanceOf(address(portal)), handler.ghostMinted() - handler.ghostFinalized());
        assertEq(portal.totalMinted(), handler.ghostMinted());
        assertEq(portal.totalWithdrawn(), handler.ghostFinalized());
    }

    /// No withdrawal finalizes twice or before its window.
    function invariant_finalizeOnceAfterWindow() public view {
        assertEq(handler.doubleFinalizations(), 0);
        assertEq(handler.earlyFinalizations(), 0);
    }
}
