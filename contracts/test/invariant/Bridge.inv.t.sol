// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {Test} from "forge-std/Test.sol";
import {L1Base, WithdrawalTarget} from "../L1/Portal.t.sol";
import {BaiPortal} from "../../src/L1/BaiPortal.sol";
import {BaiToken} from "../../src/L1/BaiToken.sol";
import {L2OutputOracle} from "../../src/L1/L2OutputOracle.sol";
import {Types} from "../../src/libraries/Types.sol";
import {Hashing} from "../../src/libraries/Hashing.sol";

/// @notice Drives the L1 side of the bridge as its actors would: users deposit and (on a modelled L2) initiate
///         withdrawals; an honest proposer posts outputs; a compromised proposer posts outputs that commit to
///         withdrawals nobody initiated and proves them at once; the challenger deletes outputs (any of them, and
///         always a bad one before its window ends: the liveness the legacy oracle relies on); the guardian pauses
///         and unpauses; anyone proves, forges proofs (wrong root, wrong output index, altered message) and
///         finalizes, before and after the window, twice. Every output commits to one withdrawal (or to none)
///         through a one-leaf storage trie whose root the portal checks with a genuine Merkle-Patricia proof.
///         A re-posted output has a new root (the deleted one was wrong), or, after a wrongful deletion, the very
///         same root at the same index ({repostSame}).
contract BridgeHandler is Test {
    BaiPortal internal portal;
    BaiToken internal token;
    L2OutputOracle internal oracle;
    address internal proposer;
    address internal challenger;
    address internal guardian;
    address internal treasury;
    uint256 internal fp;
    WithdrawalTarget public target = new WithdrawalTarget();
    address[3] internal users = [address(0xB0B1), address(0xB0B2), address(0xB0B3)];
    address internal constant EOA_TARGET = address(0xBEEF);
    address internal constant ATTACKER = address(0xBAD);
    uint256 internal constant NONE = type(uint256).max;

    struct W {
        Types.WithdrawalTransaction tx;
        bytes32 hash;
        bool forged; // never initiated on L2: only a bad output commits to it
        bool finalized;
        uint256 livePosting; // posting id + 1 of the live output that commits to it, 0 = none
    }

    struct Posting {
        Types.OutputRootProof orp;
        bytes32 root;
        uint256 index;
        uint256 time;
        uint256 w; // withdrawal committed to, NONE for a filler
        bool bad;
        bool deleted;
    }

    W[] internal ws;
    Posting[] internal postings;
    mapping(uint256 outputIndex => uint256) internal postingAt; // posting id + 1 of the live output there
    mapping(bytes32 root => uint256) internal postingOfRoot; // posting id + 1
    mapping(address => uint256) public l2Balance; // modelled L2 native BAI
    uint256 internal nonce;

    // ghost accounting
    uint256 public ghostDeposited;
    uint256 public ghostInitiated; // genuine withdrawals' value
    uint256 public ghostFinalized; // value released by finalizations
    uint256 public finalizations;
    uint256 public sequenceFinalizations; // during the fuzzed sequence (not the final settlement)
    uint256 public reproofs;
    uint256 public deletions;
    uint256 public sameRootReposts;
    uint256 public heldByOutputWindow;
    uint256 public forgedAttempts;
    // violations (all must stay 0)
    uint256 public doubleFinalizations;
    uint256 public earlyFinalizations;
    uint256 public finalizedAgainstDeleted;
    uint256 public forgedFinalized;
    uint256 public forgedProofsAccepted;
    uint256 public pausedBypass;
    uint256 public finalizedOutputDeleted;
    uint256 public wrongPayouts; // target did not receive exactly `value`, or saw the wrong l2Sender
    uint256 public unexpectedProofs; // a proof the rules refuse (paused, deleted output, proven against a live one)
    uint256 public stuck; // a finalization / proof the rules allow was refused
    uint256 public fullPathFailures;

    constructor(BaiPortal _p, BaiToken _t, L2OutputOracle _o, address[4] memory roles) {
        (portal, token, oracle) = (_p, _t, _o);
        (proposer, challenger, guardian, treasury) = (roles[0], roles[1], roles[2], roles[3]);
        fp = oracle.FINALIZATION_PERIOD_SECONDS();
    }

    // ------------------------------------------------------------------------------------------
    // Users
    // ------------------------------------------------------------------------------------------

    /// Deposits stay open while the portal is paused.
    function deposit(uint256 u, uint256 amount) public {
        address who = users[u % 3];
        amount = bound(amount, 1, 1000 ether);
        vm.prank(treasury);
        token.transfer(who, amount);
        vm.startPrank(who, who);
        token.approve(address(portal), amount);
        portal.depositERC20Transaction(who, amount, 0, 100_000, false, "");
        vm.stopPrank();
        ghostDeposited += amount;
        l2Balance[who] += amount;
    }

    /// A withdrawal initiated on L2 (L2ToL1MessagePasser): burns the user's L2 BAI; to an EOA, or with data to a
    /// contract that records `l2Sender()` (and may revert).
    function initiate(uint256 u, uint256 amount, bool withData) public returns (uint256 i) {
        address who = users[u % 3];
        if (l2Balance[who] == 0) return NONE;
        amount = bound(amount, 1, l2Balance[who]);
        l2Balance[who] -= amount;
        ghostInitiated += amount;
        Types.WithdrawalTransaction memory t = Types.WithdrawalTransaction(
            nonce++, who, withData ? address(target) : EOA_TARGET, amount, 100_000, withData ? bytes("hi") : bytes("")
        );
        return _add(t, false);
    }

    /// Proves (or re-proves, after its output was deleted and re-posted) the first withdrawal from `i` on that
    /// has a live output and no proof against it; any other proof against a live output is refused.
    function prove(uint256 i) external {
        uint256 n = ws.length;
        for (uint256 k = 0; k < n; ++k) {
            uint256 c = (i % n + k) % n;
            uint256 lp = ws[c].livePosting;
            if (lp == 0) continue;
            (bytes32 root,,) = portal.provenWithdrawals(ws[c].hash);
            if (root != postings[lp - 1].root) return _prove(c, lp - 1);
        }
        if (n != 0 && ws[i % n].livePosting != 0) _prove(i % n, ws[i % n].livePosting - 1);
    }

    /// Finalizes withdrawal `i` (mode 0: any, unproven, forged or already final), or the first from `i` on that
    /// is proven and not final (mode 1), preferably one whose proof's window has passed (mode 2): due, or held
    /// back only by its output's window or a deleted output.
    function finalize(uint256 i, uint8 mode) external {
        uint256 n = ws.length;
        if (n == 0) return;
        i = i % n;
        mode = mode % 3;
        uint256 pick = NONE;
        for (uint256 k = 0; mode != 0 && k < n; ++k) {
            uint256 c = (i + k) % n;
            (, uint128 ts,) = portal.provenWithdrawals(ws[c].hash);
            if (ts == 0 || ws[c].finalized) continue;
            if (pick == NONE) pick = c;
            if (mode == 1 || block.timestamp > ts + fp) {
                pick = c;
                break;
            }
        }
        if (pick != NONE) i = pick;
        if (_finalize(i)) ++sequenceFinalizations;
    }

    /// Proofs an attacker can build without a bad output; every one must be refused.
    /// kind 0: a genuine index with a forged preimage (the attacker's own storage root holding a forged message);
    /// kind 1: a genuine message and proof against another output's index (wrong output index);
    /// kind 2: another output's genuine preimage with the message's proof;
    /// kind 3: a genuine proof for an altered message (value, target or data changed).
    function forgeProof(uint256 i, uint256 j, uint8 kind) external {
        uint256 n = ws.length;
        if (n == 0 || portal.paused()) return;
        uint256 wi = NONE;
        for (uint256 k = 0; k < n && wi == NONE; ++k) {
            if (ws[(i % n + k) % n].livePosting != 0) wi = (i % n + k) % n;
        }
        if (wi == NONE) return;
        W storage w = ws[wi];
        Posting memory p = postings[w.livePosting - 1];
        // another live output (one that does not commit to this withdrawal)
        uint256 m = oracle.nextOutputIndex();
        uint256 qid = NONE;
        for (uint256 k = 0; k < m && qid == NONE; ++k) {
            uint256 c = postingAt[(j % m + k) % m] - 1;
            if (postings[c].w != p.w) qid = c;
        }
        kind = kind % 4;
        if (qid == NONE && (kind == 1 || kind == 2)) kind = 3;
        Posting memory q = qid == NONE ? p : postings[qid];
        Types.WithdrawalTransaction memory t = w.tx;
        Types.OutputRootProof memory orp = p.orp;
        uint256 index = p.index;
        bytes[] memory proof = _proofOf(t);
        if (kind == 0) {
            t.value += 1 + (j % 1000 ether);
            t.target = ATTACKER;
            orp.messagePasserStorageRoot = keccak256(_leafOf(t));
            proof = _proofOf(t);
        } else if (kind == 1) {
            index = q.index;
        } else if (kind == 2) {
            orp = q.orp;
            index = q.index;
        } else {
            uint256 which = j % 3;
            if (which == 0) t.value += 1;
            else if (which == 1) t.target = t.target == ATTACKER ? EOA_TARGET : ATTACKER;
            else t.data = bytes.concat(t.data, "x");
        }
        ++forgedAttempts;
        bytes32 h = Hashing.hashWithdrawal(t);
        assertTrue(kind == 1 || kind == 2 || h != w.hash, "the forged message must differ");
        (, uint128 before,) = portal.provenWithdrawals(h);
        try portal.proveWithdrawalTransaction(t, index, orp, proof) {
            ++forgedProofsAccepted;
        } catch {}
        (, uint128 afterTs,) = portal.provenWithdrawals(h);
        if (afterTs != before) ++forgedProofsAccepted;
    }

    // ------------------------------------------------------------------------------------------
    // Proposer, challenger, guardian
    // ------------------------------------------------------------------------------------------

    /// The honest proposer posts an output committing to a genuine withdrawal that has no live output (new, or
    /// its output was deleted), or a filler output.
    function propose(uint256 i) external {
        uint256 w = NONE;
        uint256 n = ws.length;
        for (uint256 k = 0; k < n; ++k) {
            uint256 c = (i % n + k) % n;
            if (!ws[c].forged && !ws[c].finalized && ws[c].livePosting == 0) {
                w = c;
                break;
            }
        }
        _post(w, false);
    }

    /// After the challenger deleted an honest output, the honest proposer posts the very same output again at the
    /// same index (same root): proofs made against the deleted one stand, but finalizing waits for the new output's
    /// own window.
    function repostSame(uint256 j) external {
        uint256 n = postings.length;
        uint256 next = oracle.nextOutputIndex();
        for (uint256 k = 0; k < n; ++k) {
            Posting memory p = postings[n - 1 - (j % n + k) % n];
            if (p.deleted && !p.bad && p.index == next) {
                if (_postOrp(p.orp, p.w, false, next) != NONE) ++sameRootReposts;
                return;
            }
        }
    }

    /// A compromised proposer posts an output committing to a withdrawal nobody initiated on L2 and proves it at
    /// once. The challenger deletes it before its window ends (see {_advance}).
    function proposeForged(uint256 amount) external {
        uint256 locked = token.balanceOf(address(portal));
        amount = bound(amount, 1, locked + 1 ether);
        Types.WithdrawalTransaction memory t = Types.WithdrawalTransaction(nonce++, ATTACKER, ATTACKER, amount, 0, "");
        uint256 i = _add(t, true);
        uint256 pid = _post(i, true);
        _prove(i, pid);
    }

    /// The challenger deletes output `k` (with `recent`: one of the last three) and every later one (possible only
    /// inside `k`'s window). With `wrongful` the deletion was a mistake and the honest proposer re-posts the same
    /// outputs at the same indices (up to the first bad one): proofs made against them stand, finalizing waits for
    /// the new outputs' windows.
    function challenge(uint256 k, bool recent, bool wrongful) external {
        uint256 n = oracle.nextOutputIndex();
        if (n == 0) return;
        _challenge(recent ? n - 1 - k % (n < 3 ? n : 3) : k % n, wrongful);
    }

    /// The challenger deletes the output a proven withdrawal stands on, some time after the proof. Wrongfully: the
    /// same output is re-posted, and at the end of the proof's window the withdrawal must still wait for the
    /// re-posted output's own window. Rightfully: the proposer posts a corrected output (a new root) for it and
    /// the owner re-proves, which restarts the proof's window.
    function deleteUnderProof(uint256 i, uint256 d, bool wrongful) external {
        uint256 n = ws.length;
        for (uint256 k = 0; k < n; ++k) {
            uint256 c = (i % n + k) % n;
            W storage w = ws[c];
            (bytes32 root, uint128 ts,) = portal.provenWithdrawals(w.hash);
            uint256 pid = postingOfRoot[root];
            if (w.forged || w.finalized || ts == 0 || pid == 0 || postings[pid - 1].deleted) continue;
            Posting memory p = postings[pid - 1];
            if (block.timestamp + 2 >= p.time + fp) continue; // no longer deletable later
            _advance(block.timestamp + bound(d, 2, p.time + fp - block.timestamp - 1));
            if (postings[pid - 1].deleted) return; // a bad output below it was cleared meanwhile
            _challenge(p.index, wrongful);
            if (!wrongful && w.livePosting == 0) _prove(c, _post(c, false));
            _advance(uint256(ts) + fp + 1);
            _finalize(c);
            return;
        }
    }

    function pause() external {
        vm.prank(guardian);
        portal.pause();
    }

    function unpause() external {
        if (!portal.paused()) return;
        vm.prank(guardian);
        portal.unpause();
    }

    function setTargetFails(bool fail) external {
        target.setFail(fail);
    }

    function warp(uint256 dt) external {
        _advance(block.timestamp + bound(dt, 0, 4 days));
    }

    /// The whole path in one call, so that the fuzzed sequence itself finalizes: deposit, initiate, the challenger
    /// clears bad outputs, post, prove, wait out the window, finalize.
    function fullPath(uint256 u, uint256 amount, bool withData) external {
        if (portal.paused()) {
            vm.prank(guardian);
            portal.unpause();
        }
        deposit(u, amount);
        uint256 i = initiate(u, amount, withData);
        _clearBadOutputs();
        uint256 pid = _post(i, false);
        _prove(i, pid);
        _advance(block.timestamp + fp + 1);
        if (_finalize(i)) ++sequenceFinalizations;
        else ++fullPathFailures;
    }

    /// Not fuzzed: called by afterInvariant. Brings every genuine withdrawal home (unpause, clear bad outputs,
    /// re-post and re-prove what was deleted, wait out the window, finalize); each step must succeed.
    function settleAll() external {
        if (portal.paused()) {
            vm.prank(guardian);
            portal.unpause();
        }
        _clearBadOutputs();
        for (uint256 i = 0; i < ws.length; ++i) {
            W storage w = ws[i];
            if (w.forged || w.finalized) continue;
            (bytes32 root, uint128 ts, uint128 idx) = portal.provenWithdrawals(w.hash);
            bool liveProof = ts != 0 && idx < oracle.nextOutputIndex() && oracle.getL2Output(idx).outputRoot == root;
            if (liveProof) continue;
            if (w.livePosting == 0) _post(i, false);
            // a re-proof reads the old index: the oracle must have grown back past it
            while (ts != 0 && oracle.nextOutputIndex() <= idx) _post(NONE, false);
            _prove(i, w.livePosting - 1);
        }
        _advance(block.timestamp + fp + 1);
        for (uint256 i = 0; i < ws.length; ++i) {
            if (!ws[i].forged && !ws[i].finalized && !_finalize(i)) ++stuck;
        }
    }

    // ------------------------------------------------------------------------------------------
    // Views for the invariants
    // ------------------------------------------------------------------------------------------

    function withdrawalCount() external view returns (uint256) {
        return ws.length;
    }

    function withdrawalState(uint256 i) external view returns (bytes32 hash, bool forged, bool finalized) {
        return (ws[i].hash, ws[i].forged, ws[i].finalized);
    }

    // ------------------------------------------------------------------------------------------
    // Internals
    // ------------------------------------------------------------------------------------------

    function _add(Types.WithdrawalTransaction memory t, bool forged) internal returns (uint256) {
        ws.push(W(t, Hashing.hashWithdrawal(t), forged, false, 0));
        return ws.length - 1;
    }

    function _leafOf(Types.WithdrawalTransaction memory t) internal pure returns (bytes memory) {
        bytes32 slot = keccak256(abi.encode(Hashing.hashWithdrawal(t), uint256(0)));
        return abi.encodePacked(hex"e3a120", keccak256(abi.encodePacked(slot)), hex"01");
    }

    function _proofOf(Types.WithdrawalTransaction memory t) internal pure returns (bytes[] memory proof) {
        proof = new bytes[](1);
        proof[0] = _leafOf(t);
    }

    /// Posts an output committing to withdrawal `w` (NONE: a filler); returns the posting id.
    function _post(uint256 w, bool bad) internal returns (uint256) {
        uint256 pid = postings.length;
        bytes32 storageRoot = w == NONE ? keccak256(abi.encode("filler", pid)) : keccak256(_leafOf(ws[w].tx));
        return _postOrp(
            Types.OutputRootProof(
                0, keccak256(abi.encode("state", pid)), storageRoot, keccak256(abi.encode("blk", pid))
            ),
            w,
            bad,
            NONE
        );
    }

    /// Posts `orp` as the next output (only at `wantIndex` unless NONE); returns the posting id (NONE: not posted).
    function _postOrp(Types.OutputRootProof memory orp, uint256 w, bool bad, uint256 wantIndex)
        internal
        returns (uint256 pid)
    {
        bytes32 root = Hashing.hashOutputRootProof(orp);
        uint256 next = oracle.nextBlockNumber();
        if (oracle.computeL2Timestamp(next) >= block.timestamp) {
            _advance(oracle.computeL2Timestamp(next) + 1); // may delete a bad output: read `next` again
            next = oracle.nextBlockNumber();
        }
        uint256 index = oracle.nextOutputIndex();
        if (wantIndex != NONE && index != wantIndex) return NONE;
        vm.prank(proposer);
        oracle.proposeL2Output(root, next, bytes32(0), 0);
        pid = postings.length;
        postings.push(Posting(orp, root, index, block.timestamp, w, bad, false));
        postingAt[index] = pid + 1;
        postingOfRoot[root] = pid + 1; // a re-posted root now names its live posting
        if (w != NONE && ws[w].livePosting == 0) ws[w].livePosting = pid + 1;
    }

    /// Proves withdrawal `i` against posting `pid` and checks the outcome against the rules.
    function _prove(uint256 i, uint256 pid) internal {
        W storage w = ws[i];
        Posting memory p = postings[pid];
        (bytes32 oldRoot, uint128 oldTs, uint128 oldIdx) = portal.provenWithdrawals(w.hash);
        bool paused = portal.paused();
        bool allowed = !paused && !p.deleted;
        if (oldTs != 0) {
            allowed = allowed && oldIdx < oracle.nextOutputIndex() && oracle.getL2Output(oldIdx).outputRoot != oldRoot;
        }
        try portal.proveWithdrawalTransaction(w.tx, p.index, p.orp, _proofOf(w.tx)) {
            if (paused) ++pausedBypass;
            if (p.deleted) ++forgedProofsAccepted;
            if (!allowed) ++unexpectedProofs;
            if (oldTs != 0) ++reproofs;
        } catch {
            if (allowed) ++stuck;
        }
    }

    /// Finalizes withdrawal `i` and checks the outcome against the rules; returns whether it finalized.
    function _finalize(uint256 i) internal returns (bool ok) {
        W storage w = ws[i];
        (bytes32 root, uint128 ts,) = portal.provenWithdrawals(w.hash);
        uint256 pid = postingOfRoot[root];
        bool paused = portal.paused();
        bool due = ts != 0 && pid != 0 && !postings[pid - 1].deleted && block.timestamp > ts + fp
            && block.timestamp > postings[pid - 1].time + fp;
        address to = w.tx.target;
        uint256 before = token.balanceOf(to);
        try portal.finalizeWithdrawalTransaction(w.tx) {
            ok = true;
        } catch {
            if (due && !paused && !w.finalized) ++stuck;
            // coverage: refused only because a re-posted output's window is still open
            if (
                !due && !paused && !w.finalized && ts != 0 && pid != 0 && !postings[pid - 1].deleted
                    && block.timestamp > ts + fp
            ) ++heldByOutputWindow;
            return false;
        }
        ++finalizations;
        if (w.finalized) ++doubleFinalizations;
        if (w.forged) ++forgedFinalized;
        if (paused) ++pausedBypass;
        if (!due) {
            if (pid == 0 || postings[pid - 1].deleted) ++finalizedAgainstDeleted;
            else ++earlyFinalizations;
        }
        if (token.balanceOf(to) - before != w.tx.value) ++wrongPayouts;
        if (to == address(target) && !target.fail() && target.lastL2Sender() != w.tx.sender) ++wrongPayouts;
        w.finalized = true;
        ghostFinalized += w.tx.value;
    }

    /// Time moves on; before a bad output's window would end, the challenger deletes it (and all later outputs).
    function _advance(uint256 to) internal {
        if (to <= block.timestamp) return;
        uint256 n = oracle.nextOutputIndex();
        for (uint256 k = 0; k < n; ++k) {
            Posting memory p = postings[postingAt[k] - 1];
            if (p.bad && to - p.time >= fp) {
                vm.prank(challenger);
                oracle.deleteL2Outputs(k);
                _markDeleted(k, n);
                break;
            }
        }
        vm.warp(to);
    }

    function _clearBadOutputs() internal {
        uint256 n = oracle.nextOutputIndex();
        for (uint256 k = 0; k < n; ++k) {
            if (postings[postingAt[k] - 1].bad) {
                vm.prank(challenger);
                oracle.deleteL2Outputs(k);
                _markDeleted(k, n);
                return;
            }
        }
    }

    /// The challenger deletes output `k` and every later one; with `wrongful` the same outputs are re-posted.
    function _challenge(uint256 k, bool wrongful) internal {
        uint256 n = oracle.nextOutputIndex();
        bool inWindow = block.timestamp - oracle.getL2Output(k).timestamp < fp;
        uint256[] memory deleted = new uint256[](n - k);
        for (uint256 x = k; x < n; ++x) {
            deleted[x - k] = postingAt[x] - 1;
        }
        vm.prank(challenger);
        try oracle.deleteL2Outputs(k) {
            if (!inWindow) ++finalizedOutputDeleted;
            _markDeleted(k, n);
        } catch {
            return;
        }
        for (uint256 x = 0; wrongful && x < deleted.length; ++x) {
            Posting memory p = postings[deleted[x]];
            if (p.bad || _postOrp(p.orp, p.w, false, p.index) == NONE) break;
            ++sameRootReposts;
        }
    }

    function _markDeleted(uint256 from, uint256 n) internal {
        ++deletions;
        for (uint256 k = from; k < n; ++k) {
            uint256 pid = postingAt[k] - 1;
            postings[pid].deleted = true;
            delete postingAt[k];
            uint256 w = postings[pid].w;
            if (w != NONE && ws[w].livePosting == pid + 1) ws[w].livePosting = 0;
        }
    }
}

contract BridgeInvariants is L1Base {
    BridgeHandler internal h;

    function setUp() public override {
        super.setUp();
        h = new BridgeHandler(portal, token, oracle, [proposer, challenger, guardian, treasury]);
        // every run starts with one genuine withdrawal in flight (deposited, initiated, posted, proven), so the
        // final settlement always has something to bring home through whatever the run did to it
        h.deposit(0, 10 ether);
        h.initiate(0, 4 ether, true);
        h.propose(0);
        h.prove(0);
        bytes4[] memory s = new bytes4[](15);
        s[0] = h.deposit.selector;
        s[1] = h.initiate.selector;
        s[2] = h.prove.selector;
        s[3] = h.finalize.selector;
        s[4] = h.forgeProof.selector;
        s[5] = h.propose.selector;
        s[6] = h.proposeForged.selector;
        s[7] = h.challenge.selector;
        s[8] = h.pause.selector;
        s[9] = h.unpause.selector;
        s[10] = h.setTargetFails.selector;
        s[11] = h.warp.selector;
        s[12] = h.fullPath.selector;
        s[13] = h.repostSame.selector;
        s[14] = h.deleteUnderProof.selector;
        targetSelector(FuzzSelector(address(h), s));
        targetContract(address(h));
    }

    /// The portal holds exactly the BAI deposited minus the BAI released by finalized withdrawals, and only
    /// withdrawals initiated on L2 release any.
    function invariant_portalBalance() public view {
        assertEq(token.balanceOf(address(portal)), h.ghostDeposited() - h.ghostFinalized(), "portal balance");
        assertEq(portal.totalMinted(), h.ghostDeposited());
        assertEq(portal.totalWithdrawn(), h.ghostFinalized());
        assertLe(h.ghostFinalized(), h.ghostInitiated(), "more released than initiated on L2");
    }

    /// No withdrawal finalizes twice or before both windows (its proof's and its output's); the portal's record
    /// agrees with the ghost.
    function invariant_finalizeOnceAfterWindow() public view {
        assertEq(h.doubleFinalizations(), 0, "finalized twice");
        assertEq(h.earlyFinalizations(), 0, "finalized inside the window");
        assertEq(h.wrongPayouts(), 0, "target not paid exactly / wrong l2Sender");
        uint256 n = h.withdrawalCount();
        for (uint256 i = 0; i < n; ++i) {
            (bytes32 hash,, bool finalized) = h.withdrawalState(i);
            assertEq(portal.finalizedWithdrawals(hash), finalized);
        }
    }

    /// Nothing proven against a deleted output finalizes; forged proofs are refused; withdrawals only a bad
    /// output committed to never pay; finalized outputs cannot be deleted.
    function invariant_deletedAndForgedNeverPay() public view {
        assertEq(h.finalizedAgainstDeleted(), 0, "finalized against a deleted output");
        assertEq(h.forgedProofsAccepted(), 0, "forged proof accepted");
        assertEq(h.unexpectedProofs(), 0, "re-proved against a live output / proved against a deleted one");
        assertEq(h.forgedFinalized(), 0, "forged withdrawal finalized");
        assertEq(h.finalizedOutputDeleted(), 0, "finalized output deleted");
    }

    /// The guardian's pause stops proving and finalizing; l2Sender is reset after every finalization; nothing
    /// the rules allow was refused.
    function invariant_pauseAndLiveness() public view {
        assertEq(h.pausedBypass(), 0, "proved or finalized while paused");
        assertEq(portal.l2Sender(), 0x000000000000000000000000000000000000dEaD);
        assertEq(h.stuck(), 0, "an allowed proof or finalization was refused");
        assertEq(h.fullPathFailures(), 0, "full path did not finalize");
    }

    /// After any run every genuine withdrawal can still be brought home (the run's deletions, pauses and forgeries
    /// lock nothing), and finalizations happen in every run: at least the one in flight from setUp.
    function afterInvariant() public {
        h.settleAll();
        assertEq(h.stuck(), 0, "a genuine withdrawal could not be finalized");
        assertEq(h.ghostFinalized(), h.ghostInitiated(), "not every genuine withdrawal was paid");
        assertEq(token.balanceOf(address(portal)), h.ghostDeposited() - h.ghostInitiated());
        assertGt(h.finalizations(), 0, "no finalization in the run");
    }
}
