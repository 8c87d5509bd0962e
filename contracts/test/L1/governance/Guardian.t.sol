// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {GovernanceBase} from "./GovernanceBase.t.sol";
import {BaiPortal} from "../../../src/L1/BaiPortal.sol";

/// (c) The emergency path: the guardian pauses at once; only governance (the timelock, i.e. SystemConfig's
///     owner) replaces the guardian.
contract GuardianTest is GovernanceBase {
    event GuardianChanged(address indexed previousGuardian, address indexed newGuardian);
    event PortalPaused(address account);

    function test_guardianPausesImmediately_noProposalNeeded() public {
        vm.expectEmit(address(portal));
        emit PortalPaused(council);
        vm.prank(council);
        portal.pause();
        assertTrue(portal.paused());
        vm.prank(council);
        portal.unpause();
        assertFalse(portal.paused());
    }

    function test_guardianCannotReplaceItself() public {
        vm.prank(council);
        vm.expectRevert(BaiPortal.NotConfigOwner.selector);
        portal.setGuardian(makeAddr("councilsFriend"));
        vm.prank(council);
        vm.expectRevert(BaiPortal.NotConfigOwner.selector);
        portal.setGuardian(council);
        // Nor can it take SystemConfig's ownership (the guardian's admin).
        vm.prank(council);
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, council));
        sysConfig.transferOwnership(council);
        // Nor can the deployer (the former owner) or a token holder.
        vm.prank(deployer);
        vm.expectRevert(BaiPortal.NotConfigOwner.selector);
        portal.setGuardian(deployer);
        vm.prank(alice);
        vm.expectRevert(BaiPortal.NotConfigOwner.selector);
        portal.setGuardian(alice);
        assertEq(portal.guardian(), council);
    }

    function test_onlyTimelockReplacesGuardian_direct() public {
        address next = makeAddr("nextCouncil");
        vm.expectEmit(address(portal));
        emit GuardianChanged(council, next);
        vm.prank(address(timelock));
        portal.setGuardian(next);
        assertEq(portal.guardian(), next);
        assertEq(portal.GUARDIAN(), next);
        vm.prank(address(timelock));
        vm.expectRevert(BaiPortal.ZeroAddress.selector);
        portal.setGuardian(address(0));
    }

    /// A rogue guardian pauses; governance votes in a new guardian, who unpauses; the old one is powerless.
    function test_governanceReplacesRogueGuardian() public {
        vm.prank(council);
        portal.pause();
        address next = makeAddr("nextCouncil");
        Proposal memory p = _one(address(portal), abi.encodeCall(BaiPortal.setGuardian, (next)), "new guardian");
        uint256 id = _passAndQueue(p);
        vm.warp(governor.proposalEta(id));
        _execute(p);
        assertEq(portal.guardian(), next);
        vm.prank(council);
        vm.expectRevert(BaiPortal.NotGuardian.selector);
        portal.unpause();
        vm.prank(next);
        portal.unpause();
        assertFalse(portal.paused());
        vm.prank(council);
        vm.expectRevert(BaiPortal.NotGuardian.selector);
        portal.pause();
    }

    /// The guardian's admin follows SystemConfig's ownership (Ownable2Step): a pending owner has no say yet.
    function test_guardianAdminFollowsSystemConfigOwner() public {
        address newOwner = makeAddr("newOwner");
        vm.prank(address(timelock));
        sysConfig.transferOwnership(newOwner);
        vm.prank(newOwner);
        vm.expectRevert(BaiPortal.NotConfigOwner.selector);
        portal.setGuardian(newOwner);
        vm.prank(newOwner);
        sysConfig.acceptOwnership();
        vm.prank(newOwner);
        portal.setGuardian(newOwner);
        assertEq(portal.guardian(), newOwner);
        vm.prank(address(timelock));
        vm.expectRevert(BaiPortal.NotConfigOwner.selector);
        portal.setGuardian(address(timelock));
    }

    /// The constructor announces the first guardian; the storage slot appended for it is slot 5 and no earlier
    /// slot moved (l2Sender | paused in slot 0).
    function test_guardianStorageAppended() public {
        vm.expectEmit();
        emit GuardianChanged(address(0), council);
        BaiPortal p = new BaiPortal(oracle, address(sysConfig), IERC20(address(token)), council);
        assertEq(address(uint160(uint256(vm.load(address(p), bytes32(uint256(5)))))), council);
        assertEq(address(uint160(uint256(vm.load(address(p), bytes32(uint256(0)))))), address(0xdEaD));
        vm.prank(council);
        p.pause();
        assertEq(uint256(vm.load(address(p), bytes32(uint256(0)))) >> 160, 1);
        // A portal whose system config is not a contract cannot have its guardian changed.
        BaiPortal q = new BaiPortal(oracle, address(0x5C), IERC20(address(token)), council);
        vm.expectRevert();
        q.setGuardian(alice);
    }
}
