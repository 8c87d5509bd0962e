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
    /// The model's serving operators (the owner switches between them and none).
    address public operator = address(0x0BE7);
    address public operator2 = address(0x0BE8);
    /// The witness store's recording operator (pinned into every record, part of its evidence digest): staked,
    /// but it serves no model here, so it must never be slashed.
    address public recorder = address(0x0BE9);
    address internal owner = address(0x0A7E);

    struct Rec {
        bytes input;
        bytes output;
        uint64 blockNumber;
        uint16 tolerance; // in force for the record (declared in an earlier block, ghost)
        address servedBy; // the model's operator in force in the record's block (ghost)
    }

    struct OpChange {
        uint64 blockNumber;
        address op;
    }

    struct TolChange {
        uint64 blockNumber;
        uint16 bps;
    }

    Rec[] internal recs;
    OpChange[] internal opHistory; // ghost of the model's operator namings
    TolChange[] internal tolHistory; // ghost of the model's tolerance declarations
    /// ghost
    uint256 public accepted;
    uint256 public attempts;
    uint256 public slashingFilings;
    uint256 public wrongRefusals; // a slashable record (divergence > its snapshot tolerance, in window, unfiled) refused
    uint256 public doubleFilings;
    uint256 public maxPeriodSlashes;
    uint256 public wrongSlashes; // a slash that hit anyone but the record's serving operator (or missed it)
    uint256 public settled; // the final, deterministic filing of afterInvariant was accepted
    mapping(bytes32 => bool) internal seen;

    constructor(address _challenger) {
        challenger = _challenger;
        address[3] memory ops = [operator, operator2, recorder];
        for (uint256 i = 0; i < 3; ++i) {
            vm.deal(ops[i], 1_000 ether);
            vm.prank(ops[i]);
            st.registerValidator{value: 1_000 ether}(1000, 2000, 100);
        }
        vm.prank(owner);
        mkt.registerModel(
            MODEL, ModelMarketplace.ModelParams(3, 4096, 256, 50_000, 500, 16, 100, 0, operator), "generic"
        );
        opHistory.push(OpChange(uint64(block.number), operator));
        tolHistory.push(TolChange(uint64(block.number), 100));
        vm.prank(Predeploys.DEPOSITOR_ACCOUNT);
        ws.setOperator(recorder);
    }

    /// The sequencer records a witness, in a new block or (`sameBlock`) in the current one — possibly after the
    /// owner named another operator in it, which must not apply to this block.
    function record(uint256 salt, uint8 diffBytes, bool sameBlock) public {
        if (!sameBlock) vm.roll(block.number + 1);
        bytes memory input = abi.encode(salt, block.number);
        bytes memory out = new bytes(100);
        // the reference is all zeros; diffBytes of 100 differ → divergence diffBytes × 100 bps
        for (uint256 i = 0; i < bound(diffBytes, 0, 100); ++i) out[i] = 0x01;
        bytes32 key = ws.callKeyOf(MODEL, INFER, input, 4);
        vm.prank(Predeploys.DEPOSITOR_ACCOUNT);
        ws.record(key, out, 7);
        uint64 b = uint64(block.number);
        recs.push(Rec(input, out, b, _toleranceAt(b), _servingAt(b)));
    }

    /// The owner names operator, operator2 or none (in force from the next block).
    function setOperator(uint256 which) public {
        address op = [operator, operator2, address(0)][which % 3];
        vm.prank(owner);
        mkt.setOperator(MODEL, op);
        opHistory.push(OpChange(uint64(block.number), op));
    }

    /// Not fuzzed (afterInvariant): whatever the run left, the owner names `operator`, a witness 100 % off is
    /// recorded in the next block and filed: it must be accepted (slashing `operator` unless capped).
    function settle() external {
        setOperator(0);
        record(uint256(keccak256("settle")), 100, false);
        uint256 before = accepted;
        file(recs.length - 1);
        if (accepted == before + 1) ++settled;
    }

    function setTolerance(uint16 t) external {
        t = uint16(bound(t, 0, 2500));
        vm.prank(owner);
        mkt.updateModelParams(
            MODEL, ModelMarketplace.ModelParams(3, 4096, 256, 50_000, 500, 16, t, 0, operator)
        );
        tolHistory.push(TolChange(uint64(block.number), t));
    }

    function file(uint256 i) public {
        if (recs.length == 0) return;
        Rec memory r = recs[i % recs.length];
        vm.roll(block.number + 1);
        ++attempts;
        bytes32 ev = ws.evidenceHashOf(ws.callKeyOf(MODEL, INFER, r.input, 4), recorder, 7, keccak256(r.output), r.blockNumber);
        uint256 divergence = disputes.divergenceBps(3, r.output, new bytes(100));
        uint256[3] memory before = _stakes();
        vm.prank(challenger);
        try disputes.fileRecordEvidence(
            MODEL, INFER, r.input, 4, r.output, new bytes(100), IInferenceDisputes.WitnessRecord(recorder, 7, r.blockNumber)
        ) returns (uint256 slashed) {
            ++accepted;
            if (seen[ev]) ++doubleFilings;
            seen[ev] = true;
            if (slashed != 0) ++slashingFilings;
            if (divergence <= r.tolerance || r.servedBy == address(0)) ++wrongRefusals; // accepted wrongly
            // exactly the record's serving operator lost stake (when slashed), nobody else
            uint256[3] memory afterwards = _stakes();
            address[3] memory ops = [operator, operator2, recorder];
            for (uint256 k = 0; k < 3; ++k) {
                bool cut = afterwards[k] < before[k];
                if (cut != (slashed != 0 && ops[k] == r.servedBy) || afterwards[k] > before[k]) ++wrongSlashes;
            }
        } catch {
            bool inWindow = block.number - r.blockNumber <= disputes.disputeWindowBlocks();
            if (!seen[ev] && inWindow && divergence > r.tolerance && r.servedBy != address(0)) ++wrongRefusals;
        }
        uint256 period = block.number / disputes.slashPeriodBlocks();
        uint256 n = disputes.slashesInPeriod(operator, period);
        uint256 n2 = disputes.slashesInPeriod(operator2, period);
        if (n2 > n) n = n2;
        if (n > maxPeriodSlashes) maxPeriodSlashes = n;
    }

    function unjail(bool second) external {
        address op = second ? operator2 : operator;
        Staking.Validator memory v = st.getValidator(op);
        if (!v.jailed) return;
        vm.warp(v.jailedUntil);
        vm.prank(op);
        try st.unjail() {} catch {}
    }

    /// Moves a quarter period on, so that periods change during a run while most records stay in the window.
    function nextPeriod() external {
        vm.roll(block.number + disputes.slashPeriodBlocks() / 4);
    }

    /// The model's operator in `b` by the rule, from the ghost history: the last named in an earlier block (the
    /// registration's for its own block).
    function _servingAt(uint64 b) internal view returns (address op) {
        op = opHistory[0].op;
        for (uint256 i = 1; i < opHistory.length && opHistory[i].blockNumber < b; ++i) {
            op = opHistory[i].op;
        }
    }

    /// The tolerance of a record in `b` by the rule: the last declared in an earlier block (the registration's
    /// for its own block); the bounds stay the genesis ones (0..2,500) here.
    function _toleranceAt(uint64 b) internal view returns (uint16 t) {
        t = tolHistory[0].bps;
        for (uint256 i = 1; i < tolHistory.length && tolHistory[i].blockNumber < b; ++i) {
            t = tolHistory[i].bps;
        }
    }

    function _stakes() internal view returns (uint256[3] memory s) {
        s[0] = st.getValidator(operator).bondedStake;
        s[1] = st.getValidator(operator2).bondedStake;
        s[2] = st.getValidator(recorder).bondedStake;
    }
}

contract InferenceDisputesInvariants is L2Base {
    DisputesHandler internal h;
    InferenceDisputes internal disputes = InferenceDisputes(Predeploys.INFERENCE_DISPUTES);

    function setUp() public override {
        super.setUp();
        vm.roll(10);
        h = new DisputesHandler(challenger);
        bytes4[] memory s = new bytes4[](6);
        s[0] = h.record.selector;
        s[1] = h.setTolerance.selector;
        s[2] = h.setOperator.selector;
        s[3] = h.file.selector;
        s[4] = h.unjail.selector;
        s[5] = h.nextPeriod.selector;
        targetSelector(FuzzSelector(address(h), s));
        targetContract(address(h));
    }

    /// A record is judged by the tolerance declared when it was recorded, whatever the owner did since:
    /// slashable records are accepted, others refused (also those of a block the model had no operator in);
    /// each record is filed at most once.
    function invariant_snapshotDecides() public view {
        assertEq(h.wrongRefusals(), 0, "a record was judged by a later tolerance or operator");
        assertEq(h.doubleFilings(), 0, "evidence filed twice");
    }

    /// Every slash hits the model's serving operator in the record's block (the one paid for that block's calls),
    /// never the store's recording operator or an operator named later.
    function invariant_slashesServingOperator() public view {
        assertEq(h.wrongSlashes(), 0, "a slash hit another operator than the record's serving one");
        assertEq(Staking(payable(Predeploys.STAKING)).getValidator(h.recorder()).bondedStake, 1_000 ether);
    }

    /// No operator is slashed more than maxSlashesPerPeriod times in one period.
    function invariant_slashCap() public view {
        assertLe(h.maxPeriodSlashes(), disputes.maxSlashesPerPeriod());
        assertLe(h.slashingFilings(), h.accepted());
    }

    /// The rules above are not vacuous: after any run (a run may leave the model without operator for all its
    /// filings), naming an operator again makes a wrong witness of the next block slashable, from that operator.
    function afterInvariant() public {
        h.settle();
        assertEq(h.settled(), 1, "a wrong witness under a named operator was refused");
        assertGt(h.accepted(), 0, "no evidence accepted in the run");
        assertEq(h.wrongRefusals(), 0);
        assertEq(h.wrongSlashes(), 0);
    }
}
