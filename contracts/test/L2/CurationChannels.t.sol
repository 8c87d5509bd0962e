// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {L2Base} from "./L2Base.t.sol";
import {Curation} from "../../src/L2/Curation.sol";
import {PaymentChannels} from "../../src/L2/PaymentChannels.sol";
import {Predeploys} from "../../src/libraries/Predeploys.sol";

contract CurationTest is L2Base {
    Curation internal cu = Curation(Predeploys.CURATION);
    bytes32 internal constant M = keccak256("model");
    address internal c1 = makeAddr("c1");
    address internal c2 = makeAddr("c2");

    function setUp() public override {
        super.setUp();
        vm.deal(c1, 100 ether);
        vm.deal(c2, 100 ether);
    }

    function test_curateRewardExitSlash() public {
        vm.prank(c1);
        cu.curate{value: 30 ether}(M);
        vm.prank(c2);
        cu.curate{value: 10 ether}(M);
        assertTrue(cu.canReceiveRewards(M));
        cu.notifyReward{value: 4 ether}(M);
        assertApproxEqAbs(cu.pendingRewards(M, c1), 3 ether, 1);
        bytes32[] memory ms = new bytes32[](1);
        ms[0] = M;
        vm.prank(c2);
        cu.claimRewards(ms);
        assertApproxEqAbs(c2.balance, 91 ether, 1);
        vm.prank(c1);
        cu.requestExit(M, 30 ether);
        vm.prank(c1);
        vm.expectRevert(abi.encodeWithSelector(Curation.ExitNotReady.selector, uint64(block.timestamp + 3 days)));
        cu.exit(M);
        // slashed while waiting to exit: cannot dodge
        vm.prank(slasher);
        cu.slashModel(M, 0.5e18, keccak256("bad"));
        assertEq(cu.stakeOf(M, c1), 15 ether);
        skip(3 days);
        vm.prank(c1);
        uint256 got = cu.exit(M);
        assertEq(got, 15 ether);
        cu.sweepSlashed();
        assertEq(treasury.balance, 20 ether);
        assertEq(address(cu).balance, cu.totalStake() + cu.rewardReserve() + cu.slashedPending());
    }

    function test_reverts() public {
        vm.expectRevert(Curation.ZeroAmount.selector);
        cu.curate(M);
        vm.expectRevert(Curation.ZeroAmount.selector);
        cu.requestExit(M, 0);
        vm.expectRevert(abi.encodeWithSelector(Curation.InsufficientShares.selector, 0, 1));
        cu.requestExit(M, 1);
        vm.expectRevert(Curation.NoExitRequested.selector);
        cu.exit(M);
        vm.expectRevert(Curation.ZeroAmount.selector);
        cu.notifyReward(M);
        vm.expectRevert(Curation.NoCurators.selector);
        cu.notifyReward{value: 1}(M);
        bytes32[] memory none = new bytes32[](0);
        vm.expectRevert(Curation.ZeroAmount.selector);
        cu.claimRewards(none);
        vm.expectRevert(Curation.ZeroAmount.selector);
        cu.sweepSlashed();
        vm.startPrank(slasher);
        vm.expectRevert(Curation.InvalidFraction.selector);
        cu.slashModel(M, 0, bytes32(0));
        vm.stopPrank();
        vm.startPrank(admin);
        vm.expectRevert(Curation.ZeroAddress.selector);
        cu.setParams(1 hours, address(0));
        vm.expectRevert(abi.encodeWithSelector(Curation.OutOfBounds.selector, 1, 1 hours, 60 days));
        cu.setParams(1, treasury);
        vm.expectRevert(abi.encodeWithSelector(Curation.OutOfBounds.selector, 61 days, 1 hours, 60 days));
        cu.setParams(61 days, treasury);
        cu.setParams(1 hours, treasury);
        vm.stopPrank();
        assertEq(cu.exitDelay(), 1 hours);
    }
}

contract ChannelsTest is L2Base {
    PaymentChannels internal pc = PaymentChannels(Predeploys.PAYMENT_CHANNELS);
    address internal sender;
    uint256 internal senderKey;
    address internal payee = makeAddr("payee");

    function setUp() public override {
        super.setUp();
        (sender, senderKey) = makeAddrAndKey("sender");
        vm.deal(sender, 100 ether);
    }

    function _sig(uint256 id, uint256 amount) internal view returns (bytes memory) {
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(senderKey, pc.voucherDigest(id, amount));
        return abi.encodePacked(r, s, v);
    }

    function test_openClaimBatchReclaim() public {
        vm.startPrank(sender);
        uint256 a = pc.open{value: 10 ether}(payee, uint64(block.timestamp + 1 days));
        uint256 b = pc.open{value: 5 ether}(payee, uint64(block.timestamp + 1 days));
        pc.fund{value: 1 ether}(a);
        pc.extend(a, uint64(block.timestamp + 2 days));
        vm.stopPrank();
        assertEq(pc.totalLocked(), 16 ether);
        bytes memory s2 = _sig(a, 2 ether);
        vm.prank(payee);
        pc.claim(a, 2 ether, s2);
        uint256[] memory ids = new uint256[](2);
        uint256[] memory amts = new uint256[](2);
        bytes[] memory sigs = new bytes[](2);
        (ids[0], ids[1], amts[0], amts[1]) = (a, b, 3 ether, 5 ether);
        sigs[0] = _sig(a, 3 ether);
        sigs[1] = _sig(b, 5 ether);
        vm.prank(payee);
        pc.claimBatch(ids, amts, sigs);
        assertEq(payee.balance, 8 ether);
        bytes memory s3 = _sig(a, 3 ether);
        vm.prank(payee);
        vm.expectRevert(abi.encodeWithSelector(PaymentChannels.BadAmount.selector, 3 ether, 3 ether, 11 ether));
        pc.claim(a, 3 ether, s3); // replay
        skip(2 days);
        vm.prank(sender);
        pc.reclaim(a);
        assertEq(sender.balance, 100 ether - 16 ether + 8 ether);
        assertEq(pc.totalLocked(), 0);
        assertTrue(pc.domainSeparator() != bytes32(0));
    }

    function test_reverts() public {
        vm.startPrank(sender);
        vm.expectRevert(PaymentChannels.ZeroAmount.selector);
        pc.open(payee, uint64(block.timestamp + 1));
        vm.expectRevert(PaymentChannels.ZeroAddress.selector);
        pc.open{value: 1}(address(0), uint64(block.timestamp + 1));
        vm.expectRevert(PaymentChannels.BadExpiration.selector);
        pc.open{value: 1}(payee, uint64(block.timestamp));
        uint256 id = pc.open{value: 1 ether}(payee, uint64(block.timestamp + 100));
        vm.expectRevert(PaymentChannels.ZeroAmount.selector);
        pc.fund(id);
        vm.expectRevert(PaymentChannels.BadExpiration.selector);
        pc.extend(id, uint64(block.timestamp));
        vm.expectRevert(PaymentChannels.ChannelNotExpired.selector);
        pc.reclaim(id);
        vm.stopPrank();
        vm.expectRevert(PaymentChannels.NotSender.selector);
        pc.fund{value: 1}(id);
        vm.expectRevert(PaymentChannels.NotSender.selector);
        pc.extend(id, 1);
        vm.expectRevert(PaymentChannels.NotSender.selector);
        pc.reclaim(id);
        vm.expectRevert(PaymentChannels.NotRecipient.selector);
        pc.claim(id, 1, "");
        vm.startPrank(payee);
        bytes memory big = _sig(id, 2 ether);
        vm.expectRevert(abi.encodeWithSelector(PaymentChannels.BadAmount.selector, 2 ether, 0, 1 ether));
        pc.claim(id, 2 ether, big);
        (, uint256 otherKey) = makeAddrAndKey("other");
        bytes32 dg = pc.voucherDigest(id, 1);
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(otherKey, dg);
        vm.expectRevert(PaymentChannels.BadSignature.selector);
        pc.claim(id, 1, abi.encodePacked(r, s, v));
        uint256[] memory ids = new uint256[](1);
        vm.expectRevert(PaymentChannels.LengthMismatch.selector);
        pc.claimBatch(ids, new uint256[](0), new bytes[](0));
        skip(100);
        bytes memory one = _sig(id, 1);
        vm.expectRevert(PaymentChannels.ChannelExpired.selector);
        pc.claim(id, 1, one);
        vm.stopPrank();
        vm.startPrank(sender);
        vm.expectRevert(PaymentChannels.ChannelExpired.selector);
        pc.fund{value: 1}(id);
        pc.reclaim(id);
        vm.expectRevert(PaymentChannels.ZeroAmount.selector);
        pc.reclaim(id);
        vm.stopPrank();
    }
}
