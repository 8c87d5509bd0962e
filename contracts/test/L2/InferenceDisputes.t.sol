// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {L2Base} from "./L2Base.t.sol";
import {InferenceDisputes} from "../../src/L2/InferenceDisputes.sol";
import {IInferenceDisputes} from "../../src/interfaces/IInferenceDisputes.sol";
import {InferenceWitnessStore} from "../../src/L2/InferenceWitnessStore.sol";
import {ModelMarketplace} from "../../src/L2/ModelMarketplace.sol";
import {Staking} from "../../src/L2/Staking.sol";
import {Predeploys} from "../../src/libraries/Predeploys.sol";
import {IBaiInference} from "../../src/interfaces/IBaiInference.sol";
import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {Initializable} from "@openzeppelin/contracts/proxy/utils/Initializable.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

/// @notice InferenceDisputes against the real genesis Staking, InferenceWitnessStore and ModelMarketplace
///         (L2Base builds them with the genesis script: challenger = makeAddr("challenger"), 10 % slash,
///         604,800-block window).
contract InferenceDisputesTest is L2Base {
    InferenceDisputes internal disputes = InferenceDisputes(Predeploys.INFERENCE_DISPUTES);
    InferenceWitnessStore internal ws = InferenceWitnessStore(Predeploys.INFERENCE_WITNESS_STORE);
    ModelMarketplace internal mkt = ModelMarketplace(Predeploys.MODEL_MARKETPLACE);
    Staking internal st = Staking(payable(Predeploys.STAKING));

    address internal operator = makeAddr("operator");
    address internal delegator = makeAddr("delegator");
    address internal modelOwner = makeAddr("modelOwner");
    address internal depositor = Predeploys.DEPOSITOR_ACCOUNT;

    bytes32 internal constant EMB = keccak256("embedding-model");
    bytes32 internal constant GEN = keccak256("generation-model");
    bytes32 internal constant GENERIC = keccak256("generic-model");
    bytes4 internal constant EMBED = IBaiInference.embed.selector;
    bytes4 internal constant GENERATE = IBaiInference.generate.selector;
    bytes4 internal constant INFER = IBaiInference.infer.selector;
    uint64 internal constant WINDOW = 604_800;
    uint64 internal constant RECORDED_AT = 100;

    /// @dev Stake of the operator after setUp: 200 self + 100 delegated − 40 undelegated = 260 bonded,
    ///      40 unbonding; a 10 % slash cuts 26 + 4 = 30 BAI.
    uint256 internal constant BONDED = 260 ether;
    uint256 internal constant UNBONDING = 40 ether;
    uint256 internal constant SLASHED = 30 ether;

    function setUp() public override {
        super.setUp();
        vm.deal(operator, 200 ether);
        vm.deal(delegator, 100 ether);
        vm.prank(operator);
        st.registerValidator{value: 200 ether}(1000, 2000, 100);
        vm.prank(delegator);
        st.delegate{value: 100 ether}(operator);
        vm.prank(delegator);
        st.undelegate(operator, 40 ether); // first delegation: shares == wei
        Staking.Validator memory v = st.getValidator(operator);
        assertEq(v.bondedStake, BONDED);
        assertEq(v.unbondingStake, UNBONDING);

        vm.startPrank(modelOwner);
        mkt.registerModel(EMB, _params(1, 100), "emb");
        mkt.registerModel(GEN, _params(2, 0), "gen");
        mkt.registerModel(GENERIC, _params(3, 0), "generic");
        vm.stopPrank();

        vm.prank(depositor);
        ws.setOperator(operator);
        vm.roll(RECORDED_AT);
    }

    // ----------------------------------------------------------------------------------------------
    // Helpers
    // ----------------------------------------------------------------------------------------------

    function _params(uint8 kind, uint16 toleranceBps) internal view returns (ModelMarketplace.ModelParams memory) {
        return ModelMarketplace.ModelParams({
            kind: kind,
            maxInputBytes: 4096,
            maxUnits: 256,
            baseGas: 50_000,
            gasPerUnit: 500,
            gasPerInputByte: 16,
            toleranceBps: toleranceBps,
            price: 0,
            operator: operator
        });
    }

    /// @dev The compact embed output: int32 components packed big-endian.
    function _pack(int32[] memory v) internal pure returns (bytes memory out) {
        out = new bytes(v.length * 4);
        for (uint256 i = 0; i < v.length; ++i) {
            uint32 u = uint32(v[i]);
            out[4 * i] = bytes1(uint8(u >> 24));
            out[4 * i + 1] = bytes1(uint8(u >> 16));
            out[4 * i + 2] = bytes1(uint8(u >> 8));
            out[4 * i + 3] = bytes1(uint8(u));
        }
    }

    function _vec2(int32 a, int32 b) internal pure returns (bytes memory) {
        int32[] memory v = new int32[](2);
        v[0] = a;
        v[1] = b;
        return _pack(v);
    }

    /// @dev A 384-dimensional reference vector (components divisible by 200, alternating signs) and the
    ///      same vector scaled by num/den.
    function _embedding(int32 num, int32 den) internal pure returns (bytes memory ref, bytes memory rec) {
        int32[] memory a = new int32[](384);
        int32[] memory b = new int32[](384);
        for (uint256 i = 0; i < 384; ++i) {
            int32 x = int32(int256((i % 50 + 1) * 2000));
            if (i % 2 == 1) x = -x;
            a[i] = x;
            b[i] = x * num / den;
        }
        return (_pack(a), _pack(b));
    }

    /// @dev A stand-in zk verifying key of `n` bytes (the contracts only store and hash it).
    function _zkKey(uint256 n) internal pure returns (bytes memory key) {
        key = new bytes(n);
        for (uint256 i = 0; i < n; ++i) {
            key[i] = bytes1(uint8(i * 7 + 1));
        }
    }

    function _record(bytes32 modelId, bytes4 selector, bytes memory input, uint32 maxUnits, bytes memory output)
        internal
        returns (bytes32 callKey)
    {
        callKey = ws.callKeyOf(modelId, selector, input, maxUnits);
        vm.prank(depositor);
        ws.record(callKey, output, 7);
    }

    function _file(
        bytes32 modelId,
        bytes4 selector,
        bytes memory input,
        uint32 maxUnits,
        bytes memory rec,
        bytes memory ref
    ) internal returns (uint256) {
        vm.prank(challenger);
        return disputes.fileEvidence(modelId, selector, input, maxUnits, rec, ref);
    }

    /// @dev Files evidence and checks Staking's Slashed event, EvidenceAccepted, the amount and the jail.
    function _fileAndCheck(
        bytes32 modelId,
        bytes4 selector,
        bytes memory input,
        uint32 maxUnits,
        bytes memory rec,
        bytes memory ref,
        uint256 wantBps,
        uint16 tolerance
    ) internal {
        bytes32 callKey = ws.callKeyOf(modelId, selector, input, maxUnits);
        bytes32 evidence = ws.evidenceHash(callKey);
        assertEq(evidence, keccak256(abi.encode(callKey, operator, uint64(7), keccak256(rec), uint64(RECORDED_AT))));
        uint256 pendingBefore = st.slashedPending();
        uint256 activeBefore = st.activeStake();

        vm.expectEmit(address(st));
        emit Staking.Slashed(operator, 0.1e18, 26 ether, 4 ether, evidence);
        vm.expectEmit(address(st));
        emit Staking.Jailed(operator, uint64(block.timestamp + 1 days));
        vm.expectEmit(address(disputes));
        emit IInferenceDisputes.EvidenceAccepted(callKey, operator, modelId, evidence, wantBps, tolerance, SLASHED, keccak256(ref));
        uint256 slashed = _file(modelId, selector, input, maxUnits, rec, ref);

        assertEq(slashed, SLASHED);
        assertTrue(disputes.filed(evidence));
        Staking.Validator memory v = st.getValidator(operator);
        assertEq(v.bondedStake, BONDED - 26 ether);
        assertEq(v.unbondingStake, UNBONDING - 4 ether);
        assertTrue(v.jailed);
        assertEq(v.jailedUntil, block.timestamp + 1 days);
        assertEq(st.slashedPending(), pendingBefore + SLASHED);
        assertEq(st.activeStake(), activeBefore - BONDED); // jailed: out of the active set
        assertEq(st.stakeOf(operator, delegator), 54 ether); // 60 bonded, pro rata
    }

    // ----------------------------------------------------------------------------------------------
    // Happy paths
    // ----------------------------------------------------------------------------------------------

    function test_fileEvidence_embedding() public {
        (bytes memory ref, bytes memory rec) = _embedding(9, 10); // every component × 0.9 → 10 % = 1000 bps
        _record(EMB, EMBED, "some text", 0, rec);
        _fileAndCheck(EMB, EMBED, "some text", 0, rec, ref, 1000, 100);
    }

    function test_fileEvidence_generation() public {
        _record(GEN, GENERATE, "prompt", 32, "hello there");
        _fileAndCheck(GEN, GENERATE, "prompt", 32, "hello there", "hello world", 4546, 0);
    }

    function test_fileEvidence_generic() public {
        _record(GENERIC, INFER, hex"abcdef", 4, hex"01ff0304");
        _fileAndCheck(GENERIC, INFER, hex"abcdef", 4, hex"01ff0304", hex"01020304", 2500, 0);
    }

    /// @dev The last block of the window is accepted; the call key may be given by callKeyOf's inputs only.
    function test_fileEvidence_lastBlockOfWindow() public {
        _record(GEN, GENERATE, "prompt", 32, "bad");
        vm.roll(RECORDED_AT + WINDOW);
        assertEq(_file(GEN, GENERATE, "prompt", 32, "bad", "good"), SLASHED);
    }

    /// @dev A re-record of the same call in a later block is a new witness: slashable once more.
    function test_fileEvidence_rerecordIsNewEvidence() public {
        bytes32 key = _record(GEN, GENERATE, "prompt", 32, "bad");
        bytes32 first = ws.evidenceHash(key);
        _file(GEN, GENERATE, "prompt", 32, "bad", "good");
        vm.roll(RECORDED_AT + 1);
        _record(GEN, GENERATE, "prompt", 32, "bad");
        bytes32 second = ws.evidenceHash(key);
        assertTrue(first != second);
        uint256 slashed = _file(GEN, GENERATE, "prompt", 32, "bad", "good");
        assertEq(slashed, (BONDED - 26 ether) / 10 + (UNBONDING - 4 ether) / 10);
        assertTrue(disputes.filed(first) && disputes.filed(second));
    }

    /// @dev Gas of one embedding evidence (384 components, the all-MiniLM-L6-v2 output size); the snapshot
    ///      line includes building the vectors, `forge test --gas-report` shows fileEvidence alone.
    function test_gas_fileEvidence_embedding384() public {
        (bytes memory ref, bytes memory rec) = _embedding(9, 10);
        _record(EMB, EMBED, "some text", 0, rec);
        vm.prank(challenger);
        uint256 g = gasleft();
        disputes.fileEvidence(EMB, EMBED, "some text", 0, rec, ref);
        g -= gasleft();
        emit log_named_uint("fileEvidence (embedding, 384 components) gas", g);
        // ~178k in a normal run; loose bound so that --gas-report's isolated calls (21k intrinsic gas and
        // the calldata charged) pass too
        assertLt(g, 300_000);
    }

    // ----------------------------------------------------------------------------------------------
    // Refusals, in the order they are checked
    // ----------------------------------------------------------------------------------------------

    function test_revert_notChallenger() public {
        _record(GEN, GENERATE, "prompt", 32, "bad");
        vm.expectRevert(
            abi.encodeWithSelector(
                IAccessControl.AccessControlUnauthorizedAccount.selector, address(this), disputes.CHALLENGER_ROLE()
            )
        );
        disputes.fileEvidence(GEN, GENERATE, "prompt", 32, "bad", "good");
    }

    function test_revert_noWitness() public {
        bytes32 key = ws.callKeyOf(GEN, GENERATE, "never called", 32);
        vm.expectRevert(abi.encodeWithSelector(IInferenceDisputes.NoWitness.selector, key));
        _file(GEN, GENERATE, "never called", 32, "bad", "good");
        // same input, other maxUnits: another call key
        _record(GEN, GENERATE, "prompt", 32, "bad");
        key = ws.callKeyOf(GEN, GENERATE, "prompt", 33);
        vm.expectRevert(abi.encodeWithSelector(IInferenceDisputes.NoWitness.selector, key));
        _file(GEN, GENERATE, "prompt", 33, "bad", "good");
    }

    function test_revert_outputMismatch() public {
        bytes32 key = _record(GEN, GENERATE, "prompt", 32, "bad");
        vm.expectRevert(abi.encodeWithSelector(IInferenceDisputes.OutputMismatch.selector, key));
        _file(GEN, GENERATE, "prompt", 32, "not what was recorded", "good");
    }

    /// @dev Nobody to slash: the model had no serving operator in the witness's block (whoever the store pinned).
    function test_revert_noOperator() public {
        vm.prank(modelOwner);
        mkt.setOperator(GEN, address(0));
        bytes32 key = _record(GEN, GENERATE, "prompt", 32, "bad");
        // the change takes effect from the next block: this block's witness is still the operator's
        vm.roll(RECORDED_AT + 1);
        bytes32 later = _record(GEN, GENERATE, "later", 32, "bad");
        vm.expectRevert(abi.encodeWithSelector(IInferenceDisputes.NoOperator.selector, later));
        _file(GEN, GENERATE, "later", 32, "bad", "good");
        assertEq(_file(GEN, GENERATE, "prompt", 32, "bad", "good"), SLASHED);
        assertTrue(disputes.filed(ws.evidenceHash(key)));
        // an unregistered model never has an operator
        bytes32 unknown = keccak256("unknown");
        key = _record(unknown, EMBED, "x", 0, "bad");
        vm.expectRevert(abi.encodeWithSelector(IInferenceDisputes.NoOperator.selector, key));
        _file(unknown, EMBED, "x", 0, "bad", "good");
    }

    /// @dev A zk model's records from zkSince on are refused (the proof was verified by every node, and the recorded
    ///      `abi.encode(output, proof)` would look divergent from a plain reference); earlier ones stay disputable.
    function test_revert_zkVerifiedModel() public {
        // recorded at block 100, in the very block the key is registered: still optimistic
        _record(GENERIC, INFER, hex"01", 4, hex"01ff0304");
        vm.prank(modelOwner);
        mkt.setZkKey(GENERIC, _zkKey(700));
        assertEq(mkt.getModel(GENERIC).zkSince, RECORDED_AT + 1);
        assertEq(mkt.verificationAt(GENERIC, RECORDED_AT), mkt.LEVEL_OPTIMISTIC());

        // block 101: the model is zk; an honest operator's sealed answer (output and proof) is not disputable,
        // neither by fileEvidence nor by fileRecordEvidence
        vm.roll(RECORDED_AT + 1);
        assertEq(mkt.verificationAt(GENERIC, RECORDED_AT + 1), mkt.LEVEL_ZK());
        bytes memory sealedOut = abi.encode(hex"01020304", hex"c0ffee");
        _record(GENERIC, INFER, hex"02", 4, sealedOut);
        vm.expectRevert(abi.encodeWithSelector(IInferenceDisputes.ZkVerifiedModel.selector, GENERIC));
        _file(GENERIC, INFER, hex"02", 4, sealedOut, hex"01020304");
        vm.prank(challenger);
        vm.expectRevert(abi.encodeWithSelector(IInferenceDisputes.ZkVerifiedModel.selector, GENERIC));
        disputes.fileRecordEvidence(
            GENERIC,
            INFER,
            hex"02",
            4,
            sealedOut,
            hex"01020304",
            IInferenceDisputes.WitnessRecord(operator, 7, RECORDED_AT + 1)
        );
        // refused before the operator is even looked up: a zk model without operator says ZkVerifiedModel too
        vm.prank(modelOwner);
        mkt.setOperator(GENERIC, address(0));
        vm.roll(RECORDED_AT + 2);
        _record(GENERIC, INFER, hex"03", 4, sealedOut);
        vm.expectRevert(abi.encodeWithSelector(IInferenceDisputes.ZkVerifiedModel.selector, GENERIC));
        _file(GENERIC, INFER, hex"03", 4, sealedOut, hex"01020304");

        // the record made before zkSince is still judged (and slashed) as an optimistic one
        _fileAndCheck(GENERIC, INFER, hex"01", 4, hex"01ff0304", hex"01020304", 2500, 0);
    }

    /// @dev Only the model's own level counts: other models (optimistic) stay disputable after one turns zk.
    function test_zkModelLeavesOthersDisputable() public {
        vm.prank(modelOwner);
        mkt.setZkKey(GENERIC, _zkKey(64));
        vm.roll(RECORDED_AT + 1);
        _record(GEN, GENERATE, "prompt", 32, "bad");
        assertEq(mkt.verificationAt(GEN, RECORDED_AT + 1), mkt.LEVEL_OPTIMISTIC());
        assertEq(_file(GEN, GENERATE, "prompt", 32, "bad", "good"), SLASHED);
    }

    function test_revert_windowClosed() public {
        bytes32 key = _record(GEN, GENERATE, "prompt", 32, "bad");
        vm.roll(RECORDED_AT + WINDOW + 1);
        vm.expectRevert(abi.encodeWithSelector(IInferenceDisputes.WindowClosed.selector, key, RECORDED_AT));
        _file(GEN, GENERATE, "prompt", 32, "bad", "good");
    }

    function test_revert_wrongSelector() public {
        // an embedding model witnessed under generate's selector
        _record(EMB, GENERATE, "prompt", 32, "bad");
        vm.expectRevert(abi.encodeWithSelector(IInferenceDisputes.WrongSelector.selector, EMB, uint8(1), GENERATE));
        _file(EMB, GENERATE, "prompt", 32, "bad", "good");
        // a generation model under infer's
        _record(GEN, INFER, "prompt", 32, "bad");
        vm.expectRevert(abi.encodeWithSelector(IInferenceDisputes.WrongSelector.selector, GEN, uint8(2), INFER));
        _file(GEN, INFER, "prompt", 32, "bad", "good");
        // a zero selector matches no kind
        _record(GEN, bytes4(0), "prompt", 32, "bad");
        vm.expectRevert(abi.encodeWithSelector(IInferenceDisputes.WrongSelector.selector, GEN, uint8(2), bytes4(0)));
        _file(GEN, bytes4(0), "prompt", 32, "bad", "good");
        // (an unregistered model, kind 0, has no operator and is refused before: test_revert_noOperator)
    }

    function test_revert_withinTolerance() public {
        // embedding within 0.5 %: × 199/200 → √(1e8 / 40,000) = 50 bps ≤ 100
        (bytes memory ref, bytes memory rec) = _embedding(199, 200);
        _record(EMB, EMBED, "a", 0, rec);
        vm.expectRevert(abi.encodeWithSelector(IInferenceDisputes.WithinTolerance.selector, 50, 100));
        _file(EMB, EMBED, "a", 0, rec, ref);
        // exactly at the tolerance (× 99/100 → 100 bps) is still within
        (ref, rec) = _embedding(99, 100);
        _record(EMB, EMBED, "b", 0, rec);
        vm.expectRevert(abi.encodeWithSelector(IInferenceDisputes.WithinTolerance.selector, 100, 100));
        _file(EMB, EMBED, "b", 0, rec, ref);
        // identical text with tolerance 0
        _record(GEN, GENERATE, "p", 8, "same");
        vm.expectRevert(abi.encodeWithSelector(IInferenceDisputes.WithinTolerance.selector, 0, 0));
        _file(GEN, GENERATE, "p", 8, "same", "same");
    }

    function test_revert_alreadyFiled() public {
        bytes32 key = _record(GENERIC, INFER, hex"00", 1, hex"01");
        _file(GENERIC, INFER, hex"00", 1, hex"01", hex"02");
        bytes32 evidence = ws.evidenceHash(key);
        vm.expectRevert(abi.encodeWithSelector(IInferenceDisputes.AlreadyFiled.selector, evidence));
        _file(GENERIC, INFER, hex"00", 1, hex"01", hex"03"); // another reference does not make it new evidence
    }

    /// @dev Staking's refusals bubble up and undo the filing.
    function test_revert_stakingBubbles() public {
        // the model's operator has no stake (the store's recording operator has, but is not the one slashed)
        vm.prank(modelOwner);
        mkt.setOperator(GEN, makeAddr("unstaked"));
        vm.roll(RECORDED_AT + 1);
        bytes32 key = _record(GEN, GENERATE, "prompt", 32, "bad");
        vm.expectRevert(Staking.NotRegistered.selector);
        _file(GEN, GENERATE, "prompt", 32, "bad", "good");
        assertFalse(disputes.filed(ws.evidenceHash(key)));

        // without SLASHER_ROLE the slash is refused
        vm.prank(modelOwner);
        mkt.setOperator(GEN, operator);
        vm.roll(RECORDED_AT + 2);
        _record(GEN, GENERATE, "prompt", 32, "bad");
        vm.startPrank(admin);
        st.revokeRole(st.SLASHER_ROLE(), address(disputes));
        vm.stopPrank();
        vm.expectRevert(
            abi.encodeWithSelector(
                IAccessControl.AccessControlUnauthorizedAccount.selector, address(disputes), st.SLASHER_ROLE()
            )
        );
        _file(GEN, GENERATE, "prompt", 32, "bad", "good");
    }

    // ----------------------------------------------------------------------------------------------
    // Divergence: hand-computed vectors
    // ----------------------------------------------------------------------------------------------

    function test_divergence_embedding() public view {
        // reference all zero: 0 if the recorded is zero too, else 10000
        assertEq(disputes.divergenceBps(1, _vec2(3, 4), _vec2(0, 0)), 10_000);
        assertEq(disputes.divergenceBps(1, _vec2(0, 0), _vec2(0, 0)), 0);
        assertEq(disputes.divergenceBps(1, "", ""), 0);
        // recorded 0.9 × reference: √(1e10 · 1e8 / 1e12) = √1e6 = 1000
        assertEq(disputes.divergenceBps(1, _vec2(900_000, 0), _vec2(1_000_000, 0)), 1000);
        // 1 % off: √(1e8 · 1e8 / 1e12) = √1e4 = 100
        assertEq(disputes.divergenceBps(1, _vec2(990_000, 0), _vec2(1_000_000, 0)), 100);
        // not symmetric, the reference is the scale: √⌈1e8 · 1e8 / 9.801e11⌉ = √10,204 → 102 (rounded up)
        assertEq(disputes.divergenceBps(1, _vec2(1_000_000, 0), _vec2(990_000, 0)), 102);
        // diffSq 2, sumSq 12: √⌈2e8 / 12⌉ = √16,666,667 → 4083 (4082² = 16,662,724; 4083² = 16,670,889)
        int32[] memory a = new int32[](3);
        int32[] memory b = new int32[](3);
        (a[0], a[1], a[2]) = (1, 2, 3);
        (b[0], b[1], b[2]) = (2, 2, 2);
        assertEq(disputes.divergenceBps(1, _pack(a), _pack(b)), 4083);
        // negative components: diffSq 1 + 1, sumSq 16 + 64: √(2e8 / 80) = √2,500,000 = 1581.1 → 1582
        assertEq(disputes.divergenceBps(1, _vec2(-5, 7), _vec2(-4, 8)), 1582);
        // opposite sign: diffSq 4e12, sumSq 1e12 → √4e8 = 20000, capped at 10000
        assertEq(disputes.divergenceBps(1, _vec2(-1_000_000, 0), _vec2(1_000_000, 0)), 10_000);
        // extremes: int32 min vs int32 max (difference 2^32 − 1 computed in int256), capped
        assertEq(disputes.divergenceBps(1, _vec2(type(int32).min, 0), _vec2(type(int32).max, 0)), 10_000);
        // int32 min vs itself + 1: diffSq 1, sumSq 2^62 → √⌈1e8 / 2^62⌉ = 1: any difference is at least 1 bps
        assertEq(disputes.divergenceBps(1, _vec2(type(int32).min, 0), _vec2(type(int32).min + 1, 0)), 1);
        // lengths differ, or are not multiples of 4 (even when identical): 10000
        assertEq(disputes.divergenceBps(1, _vec2(1, 2), hex"00000001"), 10_000);
        assertEq(disputes.divergenceBps(1, hex"000001", hex"000001"), 10_000);
        assertEq(disputes.divergenceBps(1, hex"0000000100", hex"0000000100"), 10_000);
    }

    function test_divergence_generation() public view {
        // common prefix "hello " (6 of 11): ⌈(11 − 6) · 10000 / 11⌉ = 4546
        assertEq(disputes.divergenceBps(2, "hello world", "hello there"), 4546);
        assertEq(disputes.divergenceBps(2, "hello there", "hello world"), 4546);
        assertEq(disputes.divergenceBps(2, "", ""), 0);
        assertEq(disputes.divergenceBps(2, "abc", ""), 10_000);
        assertEq(disputes.divergenceBps(2, "abc", "abcd"), 2500); // prefix 3 of 4
        assertEq(disputes.divergenceBps(2, "a", "b"), 10_000);
        assertEq(disputes.divergenceBps(2, "same", "same"), 0);
        // bytes, not characters: "héllo" is 6 bytes (é = C3 A9), prefix 1 → ⌈5 · 10000 / 6⌉ = 8334
        assertEq(disputes.divergenceBps(2, unicode"héllo", "hallo"), 8334);
        // across 32-byte words: 64 bytes, first difference at byte 40 → 24 · 10000 / 64 = 3750
        bytes memory x = new bytes(64);
        bytes memory y = new bytes(64);
        y[40] = 0x01;
        y[63] = 0x02;
        assertEq(disputes.divergenceBps(2, x, y), 3750);
        // 33 equal bytes then the end of the shorter one: prefix 33 of 40 → 7 · 10000 / 40 = 1750
        bytes memory z = new bytes(40);
        assertEq(disputes.divergenceBps(2, new bytes(33), z), 1750);
    }

    function test_divergence_generic() public view {
        assertEq(disputes.divergenceBps(3, hex"01020304", hex"01ff0304"), 2500); // 1 of 4
        assertEq(disputes.divergenceBps(3, hex"0102", hex"010203"), 3334); // length difference 1 of 3, rounded up
        assertEq(disputes.divergenceBps(3, hex"0203", hex"010203"), 10_000); // positions, not a diff
        assertEq(disputes.divergenceBps(3, "", ""), 0);
        assertEq(disputes.divergenceBps(3, hex"00", ""), 10_000);
        // 40 bytes, bytes 0 and 35 differ (the second word is partial): 2 · 10000 / 40 = 500
        bytes memory x = new bytes(40);
        bytes memory y = new bytes(40);
        y[0] = 0xff;
        y[35] = 0x01;
        assertEq(disputes.divergenceBps(3, x, y), 500);
        // 33 vs 34 equal bytes: only the length differs, ⌈1 · 10000 / 34⌉ = 295
        assertEq(disputes.divergenceBps(3, new bytes(33), new bytes(34)), 295);
        // every byte of a full word differs: 32 / 32
        bytes memory ones = new bytes(32);
        for (uint256 i = 0; i < 32; ++i) {
            ones[i] = bytes1(uint8(i + 1));
        }
        assertEq(disputes.divergenceBps(3, new bytes(32), ones), 10_000);
    }

    /// @dev The attack rounding down allowed: one wrong byte in a 20 kB output of a model registered exact
    ///      measured 0 bps, so the evidence was refused as within tolerance 0. Rounded up, it is slashed.
    function test_divergence_anyDifferenceIsAtLeastOneBps() public {
        bytes memory honest = new bytes(20_000);
        bytes memory lie = new bytes(20_000);
        lie[19_999] = 0x01;
        assertEq(disputes.divergenceBps(2, lie, honest), 1);
        assertEq(disputes.divergenceBps(3, lie, honest), 1);
        _record(GEN, GENERATE, "long", 4096, lie);
        uint256 slashed = _file(GEN, GENERATE, "long", 4096, lie, honest);
        assertGt(slashed, 0);
    }

    function test_divergence_unknownKind() public {
        vm.expectRevert(abi.encodeWithSelector(IInferenceDisputes.UnknownKind.selector, uint8(0)));
        disputes.divergenceBps(0, "", "");
        vm.expectRevert(abi.encodeWithSelector(IInferenceDisputes.UnknownKind.selector, uint8(4)));
        disputes.divergenceBps(4, "a", "a");
    }

    // ----------------------------------------------------------------------------------------------
    // Divergence: fuzz, against plain reference implementations of the definitions
    // ----------------------------------------------------------------------------------------------

    function _refEmbedding(bytes memory rec, bytes memory ref) internal pure returns (uint256) {
        if (rec.length != ref.length || ref.length % 4 != 0) return 10_000;
        uint256 sumSq;
        uint256 diffSq;
        for (uint256 i = 0; i < ref.length; i += 4) {
            int256 r = int32(uint32(bytes4(abi.encodePacked(ref[i], ref[i + 1], ref[i + 2], ref[i + 3]))));
            int256 x = int32(uint32(bytes4(abi.encodePacked(rec[i], rec[i + 1], rec[i + 2], rec[i + 3]))));
            sumSq += uint256(r * r);
            diffSq += uint256((x - r) * (x - r));
        }
        if (sumSq == 0) return diffSq == 0 ? 0 : 10_000;
        return Math.min(Math.sqrt(Math.ceilDiv(diffSq * 1e8, sumSq), Math.Rounding.Ceil), 10_000);
    }

    function _refPrefix(bytes memory a, bytes memory b) internal pure returns (uint256) {
        uint256 maxLen = Math.max(a.length, b.length);
        if (maxLen == 0) return 0;
        uint256 minLen = Math.min(a.length, b.length);
        uint256 p = 0;
        while (p < minLen && a[p] == b[p]) ++p;
        return Math.ceilDiv((maxLen - p) * 10_000, maxLen);
    }

    function _refHamming(bytes memory a, bytes memory b) internal pure returns (uint256) {
        uint256 maxLen = Math.max(a.length, b.length);
        if (maxLen == 0) return 0;
        uint256 minLen = Math.min(a.length, b.length);
        uint256 d = maxLen - minLen;
        for (uint256 i = 0; i < minLen; ++i) {
            if (a[i] != b[i]) ++d;
        }
        return Math.ceilDiv(d * 10_000, maxLen);
    }

    /// @dev Mostly-equal pairs: `b` is `a` with a few bytes changed and an optional tail, so prefixes and
    ///      sparse differences (the interesting cases) are exercised, not only random noise.
    function _mutate(bytes memory a, uint256 seed, bytes memory tail) internal pure returns (bytes memory b) {
        b = bytes.concat(a, tail);
        if (a.length == 0) return b;
        for (uint256 k = 0; k < seed % 4; ++k) {
            uint256 at = uint256(keccak256(abi.encode(seed, k))) % a.length;
            b[at] = bytes1(uint8(b[at]) ^ uint8(1 + k));
        }
    }

    function testFuzz_divergence_matchesDefinition(bytes calldata a, uint256 seed, bytes calldata tail) public view {
        bytes memory b = _mutate(a, seed, tail);
        assertEq(disputes.divergenceBps(2, a, b), _refPrefix(a, b), "generation");
        assertEq(disputes.divergenceBps(2, b, a), _refPrefix(b, a), "generation swapped");
        assertEq(disputes.divergenceBps(3, a, b), _refHamming(a, b), "generic");
        assertEq(disputes.divergenceBps(3, b, a), _refHamming(b, a), "generic swapped");
        assertEq(disputes.divergenceBps(1, a, b), _refEmbedding(a, b), "embedding");
        // a whole number of components, a few of them changed
        bytes memory c = bytes.concat(a, new bytes((4 - a.length % 4) % 4));
        bytes memory d = _mutate(c, seed, "");
        assertEq(disputes.divergenceBps(1, d, c), _refEmbedding(d, c), "embedding, same length");
    }

    function testFuzz_divergence_embeddingVectors(int32[] calldata x, int32[] calldata y) public view {
        uint256 n = Math.min(x.length, y.length);
        int32[] memory a = new int32[](n);
        int32[] memory b = new int32[](n);
        for (uint256 i = 0; i < n; ++i) {
            a[i] = x[i];
            b[i] = y[i] / int32(int256(1 + i % 7)); // often close, sometimes zero
        }
        bytes memory pa = _pack(a);
        bytes memory pb = _pack(b);
        uint256 bps = disputes.divergenceBps(1, pa, pb);
        assertEq(bps, _refEmbedding(pa, pb));
        assertLe(bps, 10_000);
        assertEq(disputes.divergenceBps(1, pa, pa), 0);
    }

    function testFuzz_divergence_identicalIsZero(bytes calldata a) public view {
        assertEq(disputes.divergenceBps(2, a, a), 0);
        assertEq(disputes.divergenceBps(3, a, a), 0);
        bytes memory whole = a[:a.length - a.length % 4];
        assertEq(disputes.divergenceBps(1, whole, whole), 0);
    }

    function testFuzz_divergence_boundedAndSymmetric(uint8 kind, bytes calldata a, bytes calldata b) public view {
        kind = uint8(bound(kind, 1, 3));
        uint256 ab = disputes.divergenceBps(kind, a, b);
        assertLe(ab, 10_000);
        if (kind != 1) assertEq(ab, disputes.divergenceBps(kind, b, a), "kinds 2 and 3 are symmetric");
    }

    // ----------------------------------------------------------------------------------------------
    // Parameters and initialisation
    // ----------------------------------------------------------------------------------------------

    function test_genesisConfig() public view {
        assertTrue(disputes.hasRole(disputes.CHALLENGER_ROLE(), challenger));
        assertTrue(disputes.hasRole(disputes.DEFAULT_ADMIN_ROLE(), admin));
        assertEq(disputes.CHALLENGER_ROLE(), keccak256("CHALLENGER_ROLE"));
        assertEq(disputes.slashFractionWad(), 0.1e18);
        assertEq(disputes.disputeWindowBlocks(), WINDOW);
        assertTrue(st.hasRole(st.SLASHER_ROLE(), address(disputes)));
        assertTrue(st.hasRole(st.SLASHER_ROLE(), slasher));
        assertEq(disputes.version(), "1.3.0");
        // storage: slot 2 slashFractionWad, slot 3 disputeWindowBlocks (unchanged), then the appended slash cap
        assertEq(uint256(vm.load(address(disputes), bytes32(uint256(2)))), 0.1e18);
        assertEq(uint256(vm.load(address(disputes), bytes32(uint256(3)))), WINDOW, "slot 3 holds only the window");
        assertEq(uint256(vm.load(address(disputes), bytes32(uint256(5)))), (uint256(3) << 64) | 86_400, "slot 5: cap");
        assertEq(disputes.slashPeriodBlocks(), 86_400);
        assertEq(disputes.maxSlashesPerPeriod(), 3);
    }

    function test_setParams() public {
        vm.expectEmit(address(disputes));
        emit IInferenceDisputes.ParamsSet(0.5e18, 10);
        vm.prank(admin);
        disputes.setParams(0.5e18, 10);
        assertEq(disputes.slashFractionWad(), 0.5e18);
        assertEq(disputes.disputeWindowBlocks(), 10);
        vm.prank(admin);
        disputes.setParams(0.5e18, 604_800); // the largest fraction and window (= Staking's unbonding, 7 d)
        vm.prank(admin);
        disputes.setParams(1, 1);

        // the new fraction and window apply to the next evidence
        _record(GEN, GENERATE, "prompt", 32, "bad");
        vm.roll(RECORDED_AT + 2);
        vm.expectRevert(
            abi.encodeWithSelector(
                IInferenceDisputes.WindowClosed.selector, ws.callKeyOf(GEN, GENERATE, "prompt", 32), RECORDED_AT
            )
        );
        _file(GEN, GENERATE, "prompt", 32, "bad", "good");
        vm.prank(admin);
        disputes.setParams(0.5e18, 2);
        assertEq(_file(GEN, GENERATE, "prompt", 32, "bad", "good"), BONDED / 2 + UNBONDING / 2);
    }

    function test_setParams_reverts() public {
        vm.expectRevert(
            abi.encodeWithSelector(
                IAccessControl.AccessControlUnauthorizedAccount.selector, address(this), disputes.DEFAULT_ADMIN_ROLE()
            )
        );
        disputes.setParams(0.5e18, 10);
        vm.startPrank(challenger);
        vm.expectRevert(
            abi.encodeWithSelector(
                IAccessControl.AccessControlUnauthorizedAccount.selector, challenger, disputes.DEFAULT_ADMIN_ROLE()
            )
        );
        disputes.setParams(0.5e18, 10);
        vm.stopPrank();
        vm.startPrank(admin);
        vm.expectRevert(IInferenceDisputes.InvalidParams.selector);
        disputes.setParams(0, 10);
        vm.expectRevert(IInferenceDisputes.InvalidParams.selector);
        disputes.setParams(1e18, 10); // Staking.slash refuses 100 %
        vm.expectRevert(IInferenceDisputes.InvalidParams.selector);
        disputes.setParams(0.5e18 + 1, 10); // above MAX_SLASH_FRACTION_WAD
        vm.expectRevert(IInferenceDisputes.InvalidParams.selector);
        disputes.setParams(0.1e18, 604_801); // window longer than Staking's unbonding period
        vm.expectRevert(IInferenceDisputes.InvalidParams.selector);
        disputes.setParams(type(uint256).max, 10);
        vm.expectRevert(IInferenceDisputes.InvalidParams.selector);
        disputes.setParams(0.5e18, 0);
        vm.stopPrank();
        assertEq(disputes.slashFractionWad(), 0.1e18);
        assertEq(disputes.disputeWindowBlocks(), WINDOW);
    }

    function testFuzz_setParams(uint256 fraction, uint64 window) public {
        bool ok = fraction != 0 && fraction <= 0.5e18 && window != 0 && window <= 604_800;
        if (!ok) vm.expectRevert(IInferenceDisputes.InvalidParams.selector);
        vm.prank(admin);
        disputes.setParams(fraction, window);
        if (ok) {
            assertEq(disputes.slashFractionWad(), fraction);
            assertEq(disputes.disputeWindowBlocks(), window);
        }
    }

    function test_initialize() public {
        vm.expectRevert(Initializable.InvalidInitialization.selector);
        disputes.initialize(admin, challenger, 0.1e18, 1);

        InferenceDisputes fresh = new InferenceDisputes();
        vm.expectRevert(IInferenceDisputes.ZeroAddress.selector);
        fresh.initialize(address(0), challenger, 0.1e18, 1);
        vm.expectRevert(IInferenceDisputes.InvalidParams.selector);
        fresh.initialize(admin, challenger, 0, 1);
        vm.expectEmit(address(fresh));
        emit IInferenceDisputes.ParamsSet(0.2e18, 5);
        fresh.initialize(admin, address(0), 0.2e18, 5); // no challenger: nobody can file until one is granted
        assertFalse(fresh.hasRole(fresh.CHALLENGER_ROLE(), address(0)));
        assertEq(fresh.slashFractionWad(), 0.2e18);
    }
}
