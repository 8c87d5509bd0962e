// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {L2Base} from "../L2/L2Base.t.sol";
import {ModelMarketplace} from "../../src/L2/ModelMarketplace.sol";
import {Predeploys} from "../../src/libraries/Predeploys.sol";

/// @notice Attack 5 (issue 15): registry squatting and moderator override.
contract RegistryAttacksTest is L2Base {
    ModelMarketplace internal mkt = ModelMarketplace(Predeploys.MODEL_MARKETPLACE);
    address internal squatter = makeAddr("squatter");
    address internal author = makeAddr("author");
    bytes32 internal constant WEIGHTS = keccak256("famous-model-weights");

    function _params() internal view returns (ModelMarketplace.ModelParams memory) {
        return ModelMarketplace.ModelParams(1, 4096, 256, 50_000, 2_000, 16, 50, 1 ether, squatter);
    }

    function setUp() public override {
        super.setUp();
        vm.prank(squatter);
        mkt.registerModel(WEIGHTS, _params(), "mine, honest");
    }

    /// The squatter undoes the moderator's pause in the next transaction.
    function test_attack5_ownerUndoesModeratorPause() public {
        vm.prank(admin); // holds MODERATOR_ROLE
        mkt.setActive(WEIGHTS, false);
        vm.prank(squatter);
        (bool ok,) = address(mkt).call(abi.encodeCall(ModelMarketplace.setActive, (WEIGHTS, true)));
        assertFalse(ok, "the owner resumed a model a moderator paused");
        assertEq(mkt.getModel(WEIGHTS).status, 2);
    }

    /// The real author of the weights has no way to get its id back from a squatter.
    function test_attack5_squattedIdCanBeReassigned() public {
        vm.prank(author);
        (bool claimed,) = address(mkt).call(
            abi.encodeWithSignature("claimModelId(bytes32,string)", WEIGHTS, "ipfs://signed-release")
        );
        vm.prank(admin);
        (bool moved,) =
            address(mkt).call(abi.encodeWithSignature("reassignModelId(bytes32,address)", WEIGHTS, author));
        assertTrue(claimed && moved, "no claim path for a squatted id");
        assertEq(mkt.getModel(WEIGHTS).owner, author);
    }

    /// The squatter retires the id: the weights can never be registered again.
    function test_attack5_retiredIdCanBeReinstated() public {
        vm.prank(squatter);
        mkt.retire(WEIGHTS);
        vm.prank(admin);
        (bool moved,) =
            address(mkt).call(abi.encodeWithSignature("reassignModelId(bytes32,address)", WEIGHTS, author));
        assertTrue(moved, "a retired id is dead for good");
        assertEq(mkt.getModel(WEIGHTS).status, 2, "reinstated, paused");
    }
}

contract RegistryFixesTest is RegistryAttacksTest {
    event ModelIdClaimed(bytes32 indexed modelId, address indexed claimant, string evidenceURI);

    function test_claimAndReassign() public {
        vm.expectEmit(address(mkt));
        emit ModelIdClaimed(WEIGHTS, author, "ipfs://proof");
        vm.prank(author);
        mkt.claimModelId(WEIGHTS, "ipfs://proof");
        vm.expectRevert(abi.encodeWithSelector(ModelMarketplace.UnknownModel.selector, bytes32(uint256(1))));
        mkt.claimModelId(bytes32(uint256(1)), "x");
        // a pending price increase of the squatter is dropped
        vm.warp(block.timestamp + 2 hours);
        vm.prank(squatter);
        mkt.setPrice(WEIGHTS, 5 ether);
        vm.expectRevert();
        mkt.reassignModelId(WEIGHTS, author); // not a moderator
        vm.startPrank(admin);
        vm.expectRevert(ModelMarketplace.ZeroAddress.selector);
        mkt.reassignModelId(WEIGHTS, address(0));
        vm.expectRevert(abi.encodeWithSelector(ModelMarketplace.UnknownModel.selector, bytes32(uint256(1))));
        mkt.reassignModelId(bytes32(uint256(1)), author);
        mkt.reassignModelId(WEIGHTS, author);
        vm.stopPrank();
        ModelMarketplace.Model memory m = mkt.getModel(WEIGHTS);
        assertEq(m.owner, author);
        assertEq(m.operator, address(0));
        assertEq(m.status, 2);
        assertTrue(mkt.moderatorPaused(WEIGHTS));
        (, uint64 at) = mkt.pendingPrices(WEIGHTS);
        assertEq(at, 0);
        // the new owner cannot resume on its own; a moderator does
        vm.prank(author);
        vm.expectRevert(abi.encodeWithSelector(ModelMarketplace.PausedByModerator.selector, WEIGHTS));
        mkt.setActive(WEIGHTS, true);
        vm.prank(admin);
        mkt.setActive(WEIGHTS, true);
        assertFalse(mkt.moderatorPaused(WEIGHTS));
        assertEq(mkt.getModel(WEIGHTS).status, 1);
        // the squatter lost every owner right
        vm.prank(squatter);
        vm.expectRevert(ModelMarketplace.NotModelOwner.selector);
        mkt.setActive(WEIGHTS, false);
    }

    function test_ownerPauseIsNotSticky() public {
        vm.startPrank(squatter);
        mkt.setActive(WEIGHTS, false);
        assertFalse(mkt.moderatorPaused(WEIGHTS));
        mkt.setActive(WEIGHTS, true);
        vm.stopPrank();
        assertEq(mkt.getModel(WEIGHTS).status, 1);
        // moderator pause twice stays one flag; owner may still pause further
        vm.startPrank(admin);
        mkt.setActive(WEIGHTS, false);
        mkt.setActive(WEIGHTS, false);
        vm.stopPrank();
        vm.prank(squatter);
        mkt.setActive(WEIGHTS, false);
        assertTrue(mkt.moderatorPaused(WEIGHTS));
    }
}
