// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {Initializable} from "@openzeppelin/contracts/proxy/utils/Initializable.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {Predeploys} from "../libraries/Predeploys.sol";
import {IBaiInference} from "../interfaces/IBaiInference.sol";
import {IInferenceDisputes} from "../interfaces/IInferenceDisputes.sol";
import {InferenceWitnessStore} from "./InferenceWitnessStore.sol";
import {ModelMarketplace} from "./ModelMarketplace.sol";
import {Staking} from "./Staking.sol";

/// @title InferenceDisputes
/// @notice Predeploy at 0x4200…0B05: accepts evidence that an inference operator's recorded result is wrong and
///         slashes the operator in Staking (this contract holds Staking's SLASHER_ROLE).
///         A challenger re-runs a witnessed call (InferenceWitnessStore, 0x4200…0B02) on a reference runtime and,
///         when the recorded output is further from the reference output than the model's declared
///         `toleranceBps` (ModelMarketplace, 0x4200…0B00), files both outputs with {fileEvidence}.
///
///         TRUST MODEL. No model runs on chain, so the contract cannot tell whether `referenceOutput` is what the
///         model really computes: it trusts the holders of {CHALLENGER_ROLE} for the reference output (the
///         reference is published in calldata and its hash in {EvidenceAccepted}, so anyone can re-run the call
///         and contest a false reference off chain / through governance). What it does enforce is that the
///         evidence
///         - names a real recorded witness (the call key exists in the witness store and `recordedOutput` hashes
///           to the recorded output hash), so a challenger cannot invent what the operator answered;
///         - is for a model that had a serving operator in the record's block (`ModelMarketplace.operatorAt`):
///           that operator — the one paid for the calls of that block — is the one slashed, whoever the
///           witness store pinned as its recording operator (1.2.0; the pinned operator still identifies the
///           record in its evidence digest); a model without operator has nobody to slash;
///         - is for a model whose verification level was optimistic in the record's block
///           (`ModelMarketplace.verificationAt`, 1.3.0): a zk model's results were proven and every node verified
///           the proof, so there is nothing to dispute ({ZkVerifiedModel}); its records from before its key took
///           effect stay disputable;
///         - is filed within {disputeWindowBlocks} blocks of the record;
///         - is for a model whose kind matches the call's selector;
///         - is beyond the model's tolerance: {divergenceBps} of recorded vs reference > `toleranceBps`;
///         - is used once (keyed by the witness store's `evidenceHash(callKey)`; a re-record of the same call in
///           a later block is a new witness with a new evidence hash).
///         Each accepted piece of evidence slashes {slashFractionWad} of the operator's bonded and unbonding
///         stake and jails it (Staking's rules; Staking's `Slashed` event carries the evidence hash).
/// @dev STORAGE: slot 0 AccessControl `_roles`; slot 1 `filed`; slot 2 `slashFractionWad`; slot 3
///      `disputeWindowBlocks` (OZ 5 Initializable keeps its flag in ERC-7201 namespaced storage).
///      The divergence metric is duplicated bit for bit by the Rust challenger; change both together.
contract InferenceDisputes is IInferenceDisputes, AccessControl, Initializable {
    /// @notice Role allowed to file evidence (the challenger).
    bytes32 public constant CHALLENGER_ROLE = keccak256("CHALLENGER_ROLE");
    /// @notice Basis points denominator; the largest divergence.
    uint256 public constant BPS = 10_000;
    /// @notice Fractions are in WAD (1e18 = 100 %).
    uint256 public constant WAD = 1e18;
    /// @notice Largest slash fraction governance may set (50 %).
    uint256 public constant MAX_SLASH_FRACTION_WAD = 0.5e18;
    /// @notice Shortest / longest slash-cap period and the largest per-period cap governance may set.
    uint64 public constant MIN_SLASH_PERIOD_BLOCKS = 3_600;
    /// @notice Longest slash-cap period (30 days of 1 s blocks).
    uint64 public constant MAX_SLASH_PERIOD_BLOCKS = 2_592_000;
    /// @notice Largest {maxSlashesPerPeriod}.
    uint32 public constant MAX_SLASHES_PER_PERIOD = 10;
    /// @notice Slash-cap defaults set by {initialize}: 3 slashes per operator per 86,400 blocks (1 day of 1 s blocks).
    uint64 public constant DEFAULT_SLASH_PERIOD_BLOCKS = 86_400;
    /// @notice Default {maxSlashesPerPeriod}.
    uint32 public constant DEFAULT_MAX_SLASHES_PER_PERIOD = 3;
    /// @notice Semantic version.
    string public constant version = "1.3.0";

    /// @notice Model kind: embedding (output = int32 components packed big-endian).
    uint8 internal constant KIND_EMBEDDING = 1;
    /// @notice Model kind: generation (output = UTF-8 text).
    uint8 internal constant KIND_GENERATION = 2;
    /// @notice Model kind: generic (output = raw bytes).
    uint8 internal constant KIND_GENERIC = 3;
    /// @notice ModelMarketplace.LEVEL_ZK: the verification level whose records cannot be disputed.
    uint8 internal constant LEVEL_ZK = 1;

    /// @dev The checked facts of one piece of evidence (in memory: keeps fileEvidence's stack shallow).
    struct Finding {
        bytes32 callKey;
        address operator;
        bytes32 evidenceHash;
        uint256 divergenceBps;
        uint16 toleranceBps;
    }

    /// @notice Evidence hashes already used, by the witness store's `evidenceHash(callKey)`.
    mapping(bytes32 evidenceHash => bool) public filed;
    /// @notice Fraction of the operator's stake slashed per accepted evidence (WAD, 0 < f < 1e18).
    uint256 public slashFractionWad;
    /// @notice Evidence is accepted while `block.number - witness.blockNumber <= disputeWindowBlocks`.
    uint64 public disputeWindowBlocks;
    /// @notice Slashes taken by an operator in a period (block.number / slashPeriodBlocks) (slot 4; appended —
    ///         declared before the small fields so that slot 3 keeps only disputeWindowBlocks).
    mapping(address operator => mapping(uint256 period => uint256)) public slashesInPeriod;
    /// @inheritdoc IInferenceDisputes
    uint64 public slashPeriodBlocks;
    /// @inheritdoc IInferenceDisputes
    uint32 public maxSlashesPerPeriod;

    /// @notice Genesis initialiser.
    /// @param admin Admin (DEFAULT_ADMIN_ROLE: grants roles, sets parameters).
    /// @param challenger Initial challenger (CHALLENGER_ROLE); none when zero.
    /// @param _slashFractionWad Fraction slashed per evidence (WAD, 0 < f < 1e18).
    /// @param _disputeWindowBlocks Dispute window in blocks (> 0).
    function initialize(address admin, address challenger, uint256 _slashFractionWad, uint64 _disputeWindowBlocks)
        external
        initializer
    {
        if (admin == address(0)) revert ZeroAddress();
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        if (challenger != address(0)) _grantRole(CHALLENGER_ROLE, challenger);
        _setParams(_slashFractionWad, _disputeWindowBlocks);
        _setSlashCap(DEFAULT_SLASH_PERIOD_BLOCKS, DEFAULT_MAX_SLASHES_PER_PERIOD);
    }

    // ----------------------------------------------------------------------------------------------
    // Evidence
    // ----------------------------------------------------------------------------------------------

    /// @inheritdoc IInferenceDisputes
    /// @dev Checks, in order: the witness exists ({NoWitness}); keccak256(recordedOutput) is its output hash
    ///      ({OutputMismatch}); the model was not zk in the witness's block
    ///      (`ModelMarketplace.verificationAt(modelId, blockNumber)`, {ZkVerifiedModel}); it had a serving operator
    ///      in that block (`ModelMarketplace.operatorAt(modelId, blockNumber)`, {NoOperator}); it is inside the window
    ///      ({WindowClosed}); the model's kind matches `selector` ({WrongSelector}); the divergence exceeds the
    ///      model's tolerance ({WithinTolerance}); the evidence is unused ({AlreadyFiled}). Then marks it used and
    ///      calls `Staking.slash(operator, slashFractionWad, evidenceHash)` for that serving operator, whose reverts
    ///      (e.g. an operator that is not registered) bubble up. `referenceOutput` is trusted (see the contract notes).
    function fileEvidence(
        bytes32 modelId,
        bytes4 selector,
        bytes calldata input,
        uint32 maxUnits,
        bytes calldata recordedOutput,
        bytes calldata referenceOutput
    ) external onlyRole(CHALLENGER_ROLE) returns (uint256 slashed) {
        bytes32 callKey = keccak256(abi.encode(modelId, selector, keccak256(input), maxUnits));
        return _file(modelId, selector, callKey, _latest(callKey, recordedOutput), recordedOutput, referenceOutput);
    }

    /// @inheritdoc IInferenceDisputes
    function fileRecordEvidence(
        bytes32 modelId,
        bytes4 selector,
        bytes calldata input,
        uint32 maxUnits,
        bytes calldata recordedOutput,
        bytes calldata referenceOutput,
        WitnessRecord calldata record
    ) external onlyRole(CHALLENGER_ROLE) returns (uint256 slashed) {
        bytes32 callKey = keccak256(abi.encode(modelId, selector, keccak256(input), maxUnits));
        InferenceWitnessStore store = InferenceWitnessStore(Predeploys.INFERENCE_WITNESS_STORE);
        bytes32 evidence =
            store.evidenceHashOf(callKey, record.operator, record.units, keccak256(recordedOutput), record.blockNumber);
        if (store.recordBlock(evidence) == 0) revert NoRecord(evidence);
        return _file(modelId, selector, callKey, record, recordedOutput, referenceOutput);
    }

    /// @inheritdoc IInferenceDisputes
    /// @dev The Rust challenger computes the same numbers. Integer math throughout.
    ///      - kind 1 (embedding; int32 components packed big-endian, 4 bytes each): 10000 when the lengths
    ///        differ or are not multiples of 4. With sumSq = Σ refᵢ² and diffSq = Σ (recᵢ − refᵢ)²: if
    ///        sumSq == 0, 0 when diffSq == 0 else 10000; otherwise min(10000, ⌊√⌊diffSq·1e8 / sumSq⌋⌋)
    ///        (the relative L2 error in bps).
    ///      - kind 2 (generation; UTF-8 text): 0 when both are empty; otherwise
    ///        ⌊(maxLen − commonPrefixLen) · 10000 / maxLen⌋.
    ///      - kind 3 (generic; raw bytes): 0 when both are empty; otherwise
    ///        ⌊(differing positions below minLen + (maxLen − minLen)) · 10000 / maxLen⌋.
    ///      Reverts {UnknownKind} for any other kind. (`referenceOutput`: `reference` is a reserved word.)
    function divergenceBps(uint8 kind, bytes calldata recorded, bytes calldata referenceOutput)
        external
        pure
        returns (uint256)
    {
        return _divergenceBps(kind, recorded, referenceOutput);
    }

    // ----------------------------------------------------------------------------------------------
    // Governance
    // ----------------------------------------------------------------------------------------------

    /// @notice Updates the slash fraction and the dispute window.
    /// @param _slashFractionWad Fraction slashed per evidence (WAD, 0 < f ≤ {MAX_SLASH_FRACTION_WAD}).
    /// @param _disputeWindowBlocks Dispute window in blocks: > 0 and ≤ Staking's unbonding period in
    ///        seconds, so with L2 blocks of at most 1 s (1 s devnet, 250 ms possible) every witness's window
    ///        closes before stake unbonded after it can leave.
    function setParams(uint256 _slashFractionWad, uint64 _disputeWindowBlocks) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setParams(_slashFractionWad, _disputeWindowBlocks);
    }

    /// @notice Sets the slash cap: at most `maxSlashes` (1..{MAX_SLASHES_PER_PERIOD}) slashes per operator per
    ///         `periodBlocks` ({MIN_SLASH_PERIOD_BLOCKS}..{MAX_SLASH_PERIOD_BLOCKS}); further evidence is filed
    ///         without slashing ({SlashCapped}).
    /// @param periodBlocks Period in blocks.
    /// @param maxSlashes Slashes per operator per period.
    function setSlashCap(uint64 periodBlocks, uint32 maxSlashes) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setSlashCap(periodBlocks, maxSlashes);
    }

    // ----------------------------------------------------------------------------------------------
    // Internals
    // ----------------------------------------------------------------------------------------------

    function _setParams(uint256 _slashFractionWad, uint64 _disputeWindowBlocks) private {
        if (_slashFractionWad == 0 || _slashFractionWad > MAX_SLASH_FRACTION_WAD || _disputeWindowBlocks == 0) {
            revert InvalidParams();
        }
        // Same time base as Staking's unbonding (seconds), assuming blocks of at most 1 s. Staking is
        // initialised first at genesis; before that (unbondingPeriod 0) nothing is checked.
        uint256 unbonding = Staking(payable(Predeploys.STAKING)).unbondingPeriod();
        if (unbonding != 0 && _disputeWindowBlocks > unbonding) revert InvalidParams();
        slashFractionWad = _slashFractionWad;
        disputeWindowBlocks = _disputeWindowBlocks;
        emit ParamsSet(_slashFractionWad, _disputeWindowBlocks);
    }

    /// @dev Checks a record (output already matched) and slashes the model's serving operator at the record's
    ///      block, at most
    ///      {maxSlashesPerPeriod} times per operator per period.
    function _file(
        bytes32 modelId,
        bytes4 selector,
        bytes32 callKey,
        WitnessRecord memory rec,
        bytes calldata recordedOutput,
        bytes calldata referenceOutput
    ) private returns (uint256 slashed) {
        ModelMarketplace mkt = ModelMarketplace(Predeploys.MODEL_MARKETPLACE);
        // A zk model's result in that block was proven and the proof verified by every node; its recorded output
        // is abi.encode(output, proof), which no plain reference output matches, so it must not be judged here.
        if (mkt.verificationAt(modelId, rec.blockNumber) == LEVEL_ZK) revert ZkVerifiedModel(modelId);
        // The model's serving operator in the record's block: the one paid for the calls of that block (not the
        // store's recording operator, which only identifies the record in its evidence digest).
        address operator = mkt.operatorAt(modelId, rec.blockNumber);
        if (operator == address(0)) revert NoOperator(callKey);
        // rec.blockNumber <= block.number: the store records at the current block.
        if (block.number - rec.blockNumber > disputeWindowBlocks) revert WindowClosed(callKey, rec.blockNumber);
        Finding memory f;
        f.callKey = callKey;
        f.operator = operator;
        (f.divergenceBps, f.toleranceBps) =
            _checkDivergence(modelId, selector, rec.blockNumber, recordedOutput, referenceOutput);
        f.evidenceHash = InferenceWitnessStore(Predeploys.INFERENCE_WITNESS_STORE).evidenceHashOf(
            callKey, rec.operator, rec.units, keccak256(recordedOutput), rec.blockNumber
        );
        if (filed[f.evidenceHash]) revert AlreadyFiled(f.evidenceHash);

        filed[f.evidenceHash] = true;
        uint256 period = block.number / slashPeriodBlocks;
        uint256 taken = slashesInPeriod[f.operator][period];
        if (taken < maxSlashesPerPeriod) {
            slashesInPeriod[f.operator][period] = taken + 1;
            slashed = Staking(payable(Predeploys.STAKING)).slash(f.operator, slashFractionWad, f.evidenceHash);
        } else {
            emit SlashCapped(f.operator, period, f.evidenceHash);
        }
        emit EvidenceAccepted(
            f.callKey,
            f.operator,
            modelId,
            f.evidenceHash,
            f.divergenceBps,
            f.toleranceBps,
            slashed,
            keccak256(referenceOutput)
        );
    }

    /// @dev The latest record of `callKey`, whose output must be `recordedOutput`.
    function _latest(bytes32 callKey, bytes calldata recordedOutput) private view returns (WitnessRecord memory rec) {
        (bool exists, bytes32 outputHash, uint64 units, address op, uint64 recordedAt) =
            InferenceWitnessStore(Predeploys.INFERENCE_WITNESS_STORE).get(callKey);
        if (!exists) revert NoWitness(callKey);
        if (keccak256(recordedOutput) != outputHash) revert OutputMismatch(callKey);
        rec = WitnessRecord(op, units, recordedAt);
    }

    function _setSlashCap(uint64 periodBlocks, uint32 maxSlashes) private {
        if (periodBlocks < MIN_SLASH_PERIOD_BLOCKS || periodBlocks > MAX_SLASH_PERIOD_BLOCKS) revert InvalidParams();
        if (maxSlashes == 0 || maxSlashes > MAX_SLASHES_PER_PERIOD) revert InvalidParams();
        slashPeriodBlocks = periodBlocks;
        maxSlashesPerPeriod = maxSlashes;
        emit SlashCapSet(periodBlocks, maxSlashes);
    }

    /// @dev Model checks: kind matches the selector, divergence above tolerance.
    function _checkDivergence(
        bytes32 modelId,
        bytes4 selector,
        uint64 recordedAt,
        bytes calldata recorded,
        bytes calldata referenceOutput
    ) private view returns (uint256 divergence, uint16 tolerance) {
        ModelMarketplace mkt = ModelMarketplace(Predeploys.MODEL_MARKETPLACE);
        ModelMarketplace.Model memory m = mkt.getModel(modelId);
        if (_selectorOf(m.kind) != selector || selector == bytes4(0)) revert WrongSelector(modelId, m.kind, selector);
        divergence = _divergenceBps(m.kind, recorded, referenceOutput);
        // The tolerance in force when the result was recorded (snapshot), within governance bounds.
        tolerance = mkt.toleranceAt(modelId, recordedAt);
        if (divergence <= tolerance) revert WithinTolerance(divergence, tolerance);
    }

    /// @dev The precompile selector serving a model kind; 0 for unknown kinds (0 = unregistered model).
    function _selectorOf(uint8 kind) private pure returns (bytes4) {
        if (kind == KIND_EMBEDDING) return IBaiInference.embed.selector;
        if (kind == KIND_GENERATION) return IBaiInference.generate.selector;
        if (kind == KIND_GENERIC) return IBaiInference.infer.selector;
        return bytes4(0);
    }

    function _divergenceBps(uint8 kind, bytes calldata recorded, bytes calldata referenceOutput)
        private
        pure
        returns (uint256)
    {
        if (kind == KIND_EMBEDDING) return _embeddingBps(recorded, referenceOutput);
        if (kind == KIND_GENERATION) return _prefixBps(recorded, referenceOutput);
        if (kind == KIND_GENERIC) return _hammingBps(recorded, referenceOutput);
        revert UnknownKind(kind);
    }

    /// @dev Relative L2 error of two packed big-endian int32 vectors, in bps rounded up, capped at 10000.
    function _embeddingBps(bytes calldata rec, bytes calldata ref) private pure returns (uint256) {
        uint256 n = ref.length;
        if (rec.length != n || n % 4 != 0) return BPS;
        uint256 sumSq;
        uint256 diffSq;
        assembly ("memory-safe") {
            // Squares of the component at bit offset `s` of the 32-byte words `wr` (reference) and `wx`
            // (recorded): shr brings the 4 bytes to the low end and signextend(3, ·) sign-extends bit 31,
            // giving the int32 as an int256 (two's complement). |r| < 2^31 and |d| < 2^32, so the squares
            // are exact in 256 bits (mul of two's complement values is the square of the magnitude), and
            // the sums cannot overflow for any calldata that fits in a block.
            function lane(wr, wx, s) -> rr, dd {
                let r := signextend(3, shr(s, wr))
                let d := sub(signextend(3, shr(s, wx)), r)
                rr := mul(r, r)
                dd := mul(d, d)
            }
            // Whole 32-byte words first, 8 components each (unrolled: this runs over 384 components for a
            // MiniLM embedding)...
            let full := sub(n, and(n, 31))
            for { let p := 0 } lt(p, full) { p := add(p, 32) } {
                let wr := calldataload(add(ref.offset, p))
                let wx := calldataload(add(rec.offset, p))
                let a, b := lane(wr, wx, 224)
                sumSq := add(sumSq, a)
                diffSq := add(diffSq, b)
                a, b := lane(wr, wx, 192)
                sumSq := add(sumSq, a)
                diffSq := add(diffSq, b)
                a, b := lane(wr, wx, 160)
                sumSq := add(sumSq, a)
                diffSq := add(diffSq, b)
                a, b := lane(wr, wx, 128)
                sumSq := add(sumSq, a)
                diffSq := add(diffSq, b)
                a, b := lane(wr, wx, 96)
                sumSq := add(sumSq, a)
                diffSq := add(diffSq, b)
                a, b := lane(wr, wx, 64)
                sumSq := add(sumSq, a)
                diffSq := add(diffSq, b)
                a, b := lane(wr, wx, 32)
                sumSq := add(sumSq, a)
                diffSq := add(diffSq, b)
                a, b := lane(wr, wx, 0)
                sumSq := add(sumSq, a)
                diffSq := add(diffSq, b)
            }
            // ...then the 0 to 7 components left, one at a time (the top 4 bytes of the word at p; the
            // bytes after them belong to other calldata and are shifted out).
            for { let p := full } lt(p, n) { p := add(p, 4) } {
                let a, b := lane(calldataload(add(ref.offset, p)), calldataload(add(rec.offset, p)), 224)
                sumSq := add(sumSq, a)
                diffSq := add(diffSq, b)
            }
        }
        if (sumSq == 0) return diffSq == 0 ? 0 : BPS;
        // Rounded up (as every measure here): 0 only when equal, so an exact model's tiny lie is disputable.
        uint256 ratio = Math.ceilDiv(diffSq * 1e8, sumSq);
        if (ratio >= BPS * BPS) return BPS;
        return Math.sqrt(ratio, Math.Rounding.Ceil);
    }

    /// @dev Share of the longer text not covered by the common byte prefix, in bps rounded up.
    function _prefixBps(bytes calldata a, bytes calldata b) private pure returns (uint256) {
        (uint256 minLen, uint256 maxLen) = a.length < b.length ? (a.length, b.length) : (b.length, a.length);
        if (maxLen == 0) return 0;
        uint256 prefix = minLen;
        assembly ("memory-safe") {
            // Compare 32 bytes at a time. Words may run past minLen into other calldata; the first
            // differing byte is then clamped to minLen below, which is exact because bytes are compared
            // in order.
            for { let i := 0 } lt(i, minLen) { i := add(i, 32) } {
                let x := xor(calldataload(add(a.offset, i)), calldataload(add(b.offset, i)))
                if x {
                    // index of the first (most significant) differing byte = leading zero bits / 8;
                    // the leading zero bits of x != 0 are 255 - msb(x), msb found by binary search.
                    let msb := 0
                    let y := x
                    if gt(y, 0xffffffffffffffffffffffffffffffff) {
                        msb := 128
                        y := shr(128, y)
                    }
                    if gt(y, 0xffffffffffffffff) {
                        msb := add(msb, 64)
                        y := shr(64, y)
                    }
                    if gt(y, 0xffffffff) {
                        msb := add(msb, 32)
                        y := shr(32, y)
                    }
                    if gt(y, 0xffff) {
                        msb := add(msb, 16)
                        y := shr(16, y)
                    }
                    if gt(y, 0xff) { msb := add(msb, 8) }
                    let first := add(i, shr(3, sub(255, msb)))
                    if lt(first, prefix) { prefix := first }
                    break
                }
            }
        }
        return Math.ceilDiv((maxLen - prefix) * BPS, maxLen);
    }

    /// @dev Differing byte positions plus the length difference, over the longer length, in bps rounded up.
    function _hammingBps(bytes calldata a, bytes calldata b) private pure returns (uint256) {
        (uint256 minLen, uint256 maxLen) = a.length < b.length ? (a.length, b.length) : (b.length, a.length);
        if (maxLen == 0) return 0;
        uint256 diff = maxLen - minLen;
        assembly ("memory-safe") {
            let lo := 0x0101010101010101010101010101010101010101010101010101010101010101
            for { let i := 0 } lt(i, minLen) { i := add(i, 32) } {
                let x := xor(calldataload(add(a.offset, i)), calldataload(add(b.offset, i)))
                // Last partial word: keep only its first (minLen - i) bytes, the rest is other calldata.
                let rest := sub(minLen, i)
                if lt(rest, 32) { x := and(x, not(shr(shl(3, rest), not(0)))) }
                // Fold every byte onto its lowest bit (masks stop bits leaking between bytes), so each byte
                // of x is 1 when the bytes differ and 0 otherwise; then sum the 32 bytes: multiplying by
                // 0x0101…01 adds every byte into the top byte (at most 32, so no carries).
                x := and(or(x, shr(4, x)), mul(lo, 0x0f))
                x := and(or(x, shr(2, x)), mul(lo, 0x03))
                x := and(or(x, shr(1, x)), lo)
                diff := add(diff, shr(248, mul(x, lo)))
            }
        }
        return Math.ceilDiv(diff * BPS, maxLen);
    }
}
