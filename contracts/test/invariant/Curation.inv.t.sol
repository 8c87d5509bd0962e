// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {Test} from "forge-std/Test.sol";
import {L2Base} from "../L2/L2Base.t.sol";
import {Curation} from "../../src/L2/Curation.sol";
import {Predeploys} from "../../src/libraries/Predeploys.sol";

contract CurationHandler is Test {
    Curation internal cu = Curation(Predeploys.CURATION);
    address internal slasher;
    address[3] internal curators = [address(0xC1), address(0xC2), address(0xC3)];
    bytes32[2] internal models = [keccak256("m0"), keccak256("m1")];
    /// ghost: broken rules seen by the handler (must stay 0)
    uint256 public exitingEarned;
    uint256 public lateExits;
    uint256 public exits;
    uint256 public slashes;
    /// ghost: settles of a position (each can round a reward up by at most 1 wei)
    uint256 public settles;

    constructor(address _slasher) {
        slasher = _slasher;
    }

    function curatorList() external view returns (address[3] memory) {
        return curators;
    }

    function modelList() external view returns (bytes32[2] memory) {
        return models;
    }

    function curate(uint256 c, uint256 m, uint256 amount) external {
        amount = bound(amount, 1 ether, 100 ether);
        address who = curators[c % 3];
        vm.deal(who, amount);
        vm.prank(who);
        cu.curate{value: amount}(models[m % 2]);
        ++settles;
    }

    function requestExit(uint256 c, uint256 m, uint256 frac) external {
        address who = curators[c % 3];
        bytes32 model = models[m % 2];
        (uint256 shares,,,) = cu.positions(model, who);
        if (shares == 0) return;
        vm.prank(who);
        cu.requestExit(model, bound(frac, 1, shares));
        ++settles;
    }

    function cancelExit(uint256 c, uint256 m) external {
        address who = curators[c % 3];
        vm.prank(who);
        try cu.cancelExit(models[m % 2]) {
            ++settles;
        } catch {}
    }

    function exit(uint256 c, uint256 m) external {
        address who = curators[c % 3];
        bytes32 model = models[m % 2];
        (,,, uint64 readyAt) = cu.positions(model, who);
        vm.prank(who);
        try cu.exit(model) {
            ++exits;
            ++settles;
            if (block.timestamp > uint256(readyAt) + cu.EXIT_WINDOW()) ++lateExits;
        } catch {}
    }

    function reward(uint256 m, uint256 amount) external {
        amount = bound(amount, 1 ether, 10 ether);
        bytes32 model = models[m % 2];
        uint256[3] memory before;
        uint256[3] memory fullyExiting;
        for (uint256 i = 0; i < 3; ++i) {
            before[i] = cu.pendingRewards(model, curators[i]);
            (uint256 shares,, uint256 exitShares,) = cu.positions(model, curators[i]);
            fullyExiting[i] = shares != 0 && shares == exitShares ? 1 : 0;
        }
        vm.deal(address(this), amount);
        try cu.notifyReward{value: amount}(model) {
            for (uint256 i = 0; i < 3; ++i) {
                if (fullyExiting[i] == 1 && cu.pendingRewards(model, curators[i]) != before[i]) ++exitingEarned;
            }
        } catch {}
    }

    function slash(uint256 m, uint256 f) external {
        f = bound(f, 1, 0.5e18);
        vm.prank(slasher);
        cu.slashModel(models[m % 2], f, keccak256("e"));
        ++slashes;
    }

    function claim(uint256 c) external {
        address who = curators[c % 3];
        bytes32[] memory ms = new bytes32[](2);
        (ms[0], ms[1]) = (models[0], models[1]);
        vm.prank(who);
        try cu.claimRewards(ms) {} catch {}
        settles += 2;
    }

    function warp(uint256 s) external {
        vm.warp(block.timestamp + bound(s, 1 hours, 5 days));
    }
}

contract CurationInvariants is L2Base {
    CurationHandler internal h;
    Curation internal cu = Curation(Predeploys.CURATION);

    function setUp() public override {
        super.setUp();
        h = new CurationHandler(slasher);
        targetContract(address(h));
    }

    /// The contract holds every stake, every unpaid reward and the slashed funds not yet swept.
    function invariant_solvent() public view {
        assertGe(address(cu).balance, cu.totalStake() + cu.rewardReserve() + cu.slashedPending());
    }

    /// Pool stakes add up to totalStake; exitingShares is the sum of the positions' exit requests and never
    /// above the pool's shares; credited + pending rewards never exceed the reserve.
    function invariant_accounting() public view {
        address[3] memory cs = h.curatorList();
        bytes32[2] memory ms = h.modelList();
        uint256 stake;
        uint256 owed;
        for (uint256 j = 0; j < 3; ++j) owed += cu.owedRewards(cs[j]);
        for (uint256 i = 0; i < 2; ++i) {
            (uint256 s, uint256 shares,) = cu.pools(ms[i]);
            stake += s;
            uint256 exiting;
            uint256 sumShares;
            for (uint256 j = 0; j < 3; ++j) {
                (uint256 ps,, uint256 es,) = cu.positions(ms[i], cs[j]);
                exiting += es;
                sumShares += ps;
                owed += cu.pendingRewards(ms[i], cs[j]);
            }
            assertEq(cu.exitingShares(ms[i]), exiting, "exitingShares");
            assertEq(shares, sumShares, "pool shares");
            assertLe(exiting, shares);
        }
        assertEq(stake, cu.totalStake());
        // reward-per-share rounding: each settle may credit 1 wei more than the exact share (never more)
        assertLe(owed, cu.rewardReserve() + h.settles(), "rewards owed above the reserve");
    }

    /// Shares whose exit was requested earn nothing; no exit executes after its window.
    function invariant_exitRules() public view {
        assertEq(h.exitingEarned(), 0, "exiting shares earned");
        assertEq(h.lateExits(), 0, "an expired exit executed");
    }
}
