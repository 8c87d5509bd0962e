// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {Test} from "forge-std/Test.sol";
import {L2Base} from "../L2/L2Base.t.sol";
import {PaymentChannels} from "../../src/L2/PaymentChannels.sol";
import {Predeploys} from "../../src/libraries/Predeploys.sol";

contract ChannelsHandler is Test {
    PaymentChannels internal pc = PaymentChannels(Predeploys.PAYMENT_CHANNELS);
    address internal sender;
    uint256 internal senderKey;
    uint256 internal forgerKey;
    address internal payee = address(0xBEEF);
    uint256[] public ids;
    /// ghost: largest voucher the sender signed per channel, deposits, reclaims, claims
    mapping(uint256 => uint256) public signedMax;
    uint256 public deposited;
    uint256 public reclaimed;
    uint256 public forgedPaid;
    uint256 public overPaid;
    uint256 public claims;

    constructor() {
        (sender, senderKey) = makeAddrAndKey("channel-sender");
        (, forgerKey) = makeAddrAndKey("forger");
    }

    function count() external view returns (uint256) {
        return ids.length;
    }

    function payeeAddr() external view returns (address) {
        return payee;
    }

    function _sig(uint256 key, uint256 id, uint256 amount) internal view returns (bytes memory) {
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(key, pc.voucherDigest(id, amount));
        return abi.encodePacked(r, s, v);
    }

    function open(uint256 amount, uint256 dur) external {
        amount = bound(amount, 1, 100 ether);
        vm.deal(sender, amount);
        vm.prank(sender);
        ids.push(pc.open{value: amount}(payee, uint64(block.timestamp + bound(dur, 1 hours, 10 days))));
        deposited += amount;
    }

    function fund(uint256 i, uint256 amount) external {
        if (ids.length == 0) return;
        amount = bound(amount, 1, 10 ether);
        vm.deal(sender, amount);
        vm.prank(sender);
        try pc.fund{value: amount}(ids[i % ids.length]) {
            deposited += amount;
        } catch {}
    }

    function claim(uint256 i, uint256 amount) external {
        if (ids.length == 0) return;
        uint256 id = ids[i % ids.length];
        (,,, uint256 dep, uint256 claimed) = pc.channels(id);
        amount = bound(amount, 0, dep + 1 ether);
        if (amount > signedMax[id]) signedMax[id] = amount;
        uint256 before = payee.balance;
        vm.prank(payee);
        try pc.claim(id, amount, _sig(senderKey, id, amount)) {
            ++claims;
            if (payee.balance - before != amount - claimed || amount > dep) ++overPaid;
        } catch {}
    }

    function forge(uint256 i, uint256 amount) external {
        if (ids.length == 0) return;
        uint256 id = ids[i % ids.length];
        uint256 before = payee.balance;
        vm.prank(payee);
        try pc.claim(id, bound(amount, 1, 100 ether), _sig(forgerKey, id, amount)) {} catch {}
        if (payee.balance != before) forgedPaid += payee.balance - before;
    }

    function reclaim(uint256 i) external {
        if (ids.length == 0) return;
        uint256 before = sender.balance;
        vm.prank(sender);
        try pc.reclaim(ids[i % ids.length]) {
            reclaimed += sender.balance - before;
        } catch {}
    }

    function warp(uint256 s) external {
        vm.warp(block.timestamp + bound(s, 1, 3 days));
    }
}

contract PaymentChannelsInvariants is L2Base {
    ChannelsHandler internal h;
    PaymentChannels internal pc = PaymentChannels(Predeploys.PAYMENT_CHANNELS);

    function setUp() public override {
        super.setUp();
        h = new ChannelsHandler();
        targetContract(address(h));
    }

    /// Every wei deposited is locked, paid to the payee, or reclaimed; the contract holds exactly what is locked.
    function invariant_conservation() public view {
        assertEq(address(pc).balance, pc.totalLocked());
        assertEq(h.deposited(), pc.totalLocked() + h.payeeAddr().balance + h.reclaimed());
        uint256 locked;
        for (uint256 i = 0; i < h.count(); ++i) {
            (,,, uint256 dep, uint256 claimed) = pc.channels(h.ids(i));
            assertLe(claimed, dep);
            assertLe(claimed, h.signedMax(h.ids(i)), "paid more than the sender signed");
            locked += dep - claimed;
        }
        assertEq(locked, pc.totalLocked());
    }

    /// Vouchers not signed by the sender never pay; a claim pays exactly the increment.
    function invariant_noForgery() public view {
        assertEq(h.forgedPaid(), 0);
        assertEq(h.overPaid(), 0);
    }
}
