// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {L2Base} from "../L2/L2Base.t.sol";
import {L2ToL1MessagePasser} from "../../src/L2/L2ToL1MessagePasser.sol";
import {L2Bridge} from "../../src/L2/L2Bridge.sol";
import {Predeploys} from "../../src/libraries/Predeploys.sol";

/// @notice Attack 7 (issue 15): withdrawals the L1 portal can never finalize burn the BAI on L2 for
///         good; the L2 side must refuse them.
contract WithdrawalAttacksTest is L2Base {
    L2ToL1MessagePasser internal mp = L2ToL1MessagePasser(payable(Predeploys.L2_TO_L1_MESSAGE_PASSER));
    L2Bridge internal bridge = L2Bridge(payable(Predeploys.L2_BRIDGE));
    address internal portal = makeAddr("l1Portal");
    address internal token = makeAddr("l1Token");
    address internal user = makeAddr("user");

    function setUp() public override {
        super.setUp();
        vm.deal(user, 100 ether);
        vm.prank(Predeploys.DEPOSITOR_ACCOUNT);
        (bool ok,) = address(mp).call(abi.encodeWithSignature("setL1Contracts(address,address)", portal, token));
        ok; // on the old code the function does not exist: the attacks below must then go through
    }

    function _tryWithdraw(address target, uint256 gasLimit, bytes memory data) internal returns (bool ok) {
        vm.prank(user);
        (ok,) = address(mp).call{value: 1 ether}(
            abi.encodeCall(L2ToL1MessagePasser.initiateWithdrawal, (target, gasLimit, data))
        );
    }

    function test_attack7_targetZeroRefused() public {
        assertFalse(_tryWithdraw(address(0), 100_000, ""), "withdrawal to 0 accepted (the portal's transfer to 0 reverts)");
    }

    function test_attack7_targetPortalRefused() public {
        assertFalse(_tryWithdraw(portal, 100_000, ""), "withdrawal to the portal accepted (prove refuses it)");
    }

    function test_attack7_targetTokenRefused() public {
        assertFalse(_tryWithdraw(token, 100_000, hex"a9059cbb"), "withdrawal to the token accepted (prove refuses it)");
    }

    function test_attack7_unsatisfiableGasLimitRefused() public {
        assertFalse(_tryWithdraw(user, 30_000_000, hex"01"), "gas limit above any L1 transaction accepted");
    }

    function test_attack7_bridgeToPortalRefused() public {
        vm.prank(user);
        (bool ok,) = address(bridge).call{value: 1 ether}(abi.encodeCall(L2Bridge.withdrawTo, (portal, 0, "")));
        assertFalse(ok, "bridge withdrawal to the portal accepted");
        assertEq(user.balance, 100 ether);
    }
}

/// @notice Unit tests of the refusals and of setting the L1 addresses.
contract WithdrawalGuardsTest is WithdrawalAttacksTest {
    event L1ContractsSet(address portal, address token);

    function test_setL1Contracts_onlyDepositor() public {
        vm.expectRevert(L2ToL1MessagePasser.NotDepositor.selector);
        mp.setL1Contracts(address(1), address(2));
        vm.expectEmit(address(mp));
        emit L1ContractsSet(address(1), address(2));
        vm.prank(Predeploys.DEPOSITOR_ACCOUNT);
        mp.setL1Contracts(address(1), address(2));
        assertEq(mp.l1Portal(), address(1));
        assertEq(mp.l1Token(), address(2));
        // slots 0 and 1 (read by the portal's proof / OP tools) keep their meaning; the new ones follow.
        assertEq(address(uint160(uint256(vm.load(address(mp), bytes32(uint256(2)))))), address(1));
        assertEq(address(uint160(uint256(vm.load(address(mp), bytes32(uint256(3)))))), address(2));
    }

    function test_refusalError() public {
        vm.expectRevert(abi.encodeWithSelector(L2ToL1MessagePasser.UnfinalizableWithdrawal.selector, portal, 1));
        mp.initiateWithdrawal(portal, 1, "");
        uint256 max = mp.MAX_GAS_LIMIT();
        vm.expectRevert(abi.encodeWithSelector(L2ToL1MessagePasser.UnfinalizableWithdrawal.selector, user, max + 1));
        mp.initiateWithdrawal(user, max + 1, "");
        mp.initiateWithdrawal(user, max, "");
    }

    function testFuzz_acceptedWithdrawalsAreFinalizable(address target, uint256 gasLimit) public {
        vm.deal(address(this), 1);
        try mp.initiateWithdrawal{value: 1}(target, gasLimit, hex"01") {
            assertTrue(target != address(0) && target != portal && target != token, "bad target accepted");
            assertLe(gasLimit, mp.MAX_GAS_LIMIT(), "unsatisfiable gas accepted");
        } catch {
            assertTrue(target == address(0) || target == portal || target == token || gasLimit > mp.MAX_GAS_LIMIT());
        }
    }
}
