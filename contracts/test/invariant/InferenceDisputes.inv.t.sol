// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {Test} from "forge-std/Test.sol";
import {L2Base} from "../L2/L2Base.t.sol";
import {InferenceDisputes} from "../../src/L2/InferenceDisputes.sol";
import {IInferenceDisputes} from "../../src/interfaces/IInferenceDisputes.sol";
import {InferenceWitnessStore} from "../../src/L2/InferenceWitnessStore.sol";
import {ModelMarketplace} from "../../src/L2/ModelMarketplace.sol";
import {Staking} from "../../src/L2/Staking.sol";
import {Predeploys} from "../../src/libraries/Predeploys.sol";
import {IBaiInference} from "../../src/interfaces/IBaiInference.sol";

contract DisputesHandler is Test {
    InferenceDisputes internal disputes = InferenceDisputes(Predeploys.INFERENCE_DISPUTES);
    InferenceWitnessStore internal ws = InferenceWitnessStore(Predeploys.INFERENCE_WITNESS_STORE);
    ModelMarketplace internal mkt = ModelMarketplace(Predeploys.MODEL_MARKETPLACE);
    Staking internal st = Staking(payable(Predeploys.STAKING));
    bytes32 internal constant MODEL = keccak256("generic-model");
    bytes4 internal constant INFER = IBaiInference.infer.selector;
    address internal challenger;
    address public operator = address(0x0BE7);
    address internal owner = address(0x0A7E);

    struct Rec {
        bytes input;
        bytes output;
        uint64 blockNumber;
        uint16 tolerance; // declared when recorded
    }

    Rec[] internal recs;
    /// ghost
    uint256 public accepted;
    uint256 public attempts;
    uint256 public slashingFilings;
    uint256 public wrongRefusals; // a slashable record (divergence > its snapshot tolerance, in window, unfiled) refused
    uint256 public doubleFilings;
    uint256 public maxPeriodSlashes;
    mapping(bytes32 => bool) internal seen;

    constructor(address _challenger) {
        challenger = _challenger;
        vm.deal(operator, 1_000 ether);
        vm.prank(operator);
        st.registerValidator{value: 1_000 ether}(1000, 2000, 100);
        vm.prank(owner);
        mkt.registerModel(
            MODEL, ModelMarketplace.ModelParams(3, 4096, 256, 50_000, 500, 16, 100, 0, operator), "generic"
        );
        vm.prank(Predeploys.DEPOSITOR_ACCOUNT);
        ws.setOperator(operator);
    }

    function record(uint256 salt, uint8 diffBytes) external {
        vm.roll(block.number + 1);
        bytes memory input = abi.encode(salt, block.number);
        bytes memory out = new bytes(100);
        // the reference is all zeros; diffBytes of 100 differ → divergence diffBytes × 100 bps
        for (uint256 i = 0; i < bound(diffBytes, 0, 100); ++i) out[i] = 0x01;
        bytes32 key = ws.callKeyOf(MODEL, INFER, input, 4);
        uint16 tolerance = mkt.getModel(MODEL).toleranceBps;
        vm.prank(Predeploys.DEPOSITOR_ACCOUNT);
        ws.record(key, out, 7);
        recs.push(Rec(input, out, uint64(block.number), tolerance));
    }

    function setTolerance(uint16 t) external {
        t = uint16(bound(t, 0, 2500));
        vm.prank(owner);
        mkt.updateModelParams(
            MODEL, ModelMarketplace.ModelParams(3, 4096, 256, 50_000, 500, 16, t, 0, operator)
        );
    }

    function file(uint256 i) external {
        if (recs.length == 0) return;
        Rec memory r = recs[i % recs.length];
        vm.roll(block.number + 1);
        ++attempts;
        bytes32 ev = ws.evidenceHashOf(ws.callKeyOf(MODEL, INFER, r.input, 4), operator, 7, keccak256(r.output), r.blockNumber);
        uint256 divergence = disputes.divergenceBps(3, r.output, new bytes(100));
        vm.prank(challenger);
        try disputes.fileRecordEvidence(
            MODEL, INFER, r.input, 4, r.output, new bytes(100), IInferenceDisputes.WitnessRecord(operator, 7, r.blockNumber)
        ) returns (uint256 slashed) {
            ++accepted;
            if (seen[ev]) ++doubleFilings;
            seen[ev] = true;
            if (slashed != 0) ++slashingFilings;
            if (divergence <= r.tolerance) ++wrongRefusals; // accepted although within its tolerance
        } catch {
            bool inWindow = block.number - r.blockNumber <= disputes.disputeWindowBlocks();
            if (!seen[ev] && inWindow && divergence > r.tolerance) ++wrongRefusals;
        }
        uint256 n = disputes.slashesInPeriod(operator, block.number / disputes.slashPeriodBlocks());
        if (n > maxPeriodSlashes) maxPeriodSlashes = n;
    }

    function unjail() external {
        Staking.Validator memory v = st.getValidator(operator);
        if (!v.jailed) return;
        vm.warp(v.jailedUntil);
        vm.prank(operator);
        try st.unjail() {} catch {}
    }

    /// Moves a quarter period on, so that periods change during a run while most records stay in the window.
    function nextPeriod() external {
        vm.roll(block.number + disputes.slashPeriodBlocks() / 4);
    }
}

contract InferenceDisputesInvariants is L2Base {
    DisputesHandler internal h;
    InferenceDisputes internal disputes = InferenceDisputes(Predeploys.INFERENCE_DISPUTES);

    function setUp() public override {
        super.setUp();
        vm.roll(10);
        h = new DisputesHandler(challenger);
        targetContract(address(h));
    }

    /// A record is judged by the tolerance declared when it was recorded, whatever the owner did since:
    /// slashable records are accepted, others refused; each record is filed at most once.
    function invariant_snapshotDecides() public view {
        assertEq(h.wrongRefusals(), 0, "a record was judged by a later tolerance");
        assertEq(h.doubleFilings(), 0, "evidence filed twice");
    }

    /// No operator is slashed more than maxSlashesPerPeriod times in one period.
    function invariant_slashCap() public view {
        assertLe(h.maxPeriodSlashes(), disputes.maxSlashesPerPeriod());
        assertLe(h.slashingFilings(), h.accepted());
    }

    /// The run really files and slashes (the rules above are not vacuous): over a run of depth 100 about a
    /// fifth of the calls record and a fifth file, so some evidence must have been accepted.
    function afterInvariant() public view {
        if (h.attempts() >= 10) assertGt(h.accepted(), 0, "no evidence accepted in the run");
    }
}
