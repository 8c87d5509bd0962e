// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {Test} from "forge-std/Test.sol";
import {L2Base} from "../L2/L2Base.t.sol";
import {ModelMarketplace} from "../../src/L2/ModelMarketplace.sol";
import {Staking} from "../../src/L2/Staking.sol";
import {Curation} from "../../src/L2/Curation.sol";
import {Predeploys} from "../../src/libraries/Predeploys.sol";

contract MarketHandler is Test {
    ModelMarketplace internal mkt = ModelMarketplace(Predeploys.MODEL_MARKETPLACE);
    bytes32[3] internal models = [keccak256("m0"), keccak256("m1"), keccak256("m2")];
    address internal user = address(0x05E2);
    address internal admin;
    uint256 public ghostPaid;
    uint256 public ghostSplitSum;
    uint256 public ghostDeposited;
    uint256 public ghostWithdrawn;

    constructor(address _admin) {
        admin = _admin;
    }

    address[3] internal users = [address(0x05E2), address(0x05E3), address(0x05E4)];
    /// ghost: paid calls whose recipients' balance changes did not add up to the price, prepaid calls that
    /// charged more than the price in force before the call, calls above the caller's cap that went through
    uint256 public splitMismatches;
    uint256 public overcharges;
    uint256 public capBreaches;
    uint256 public priceChanges;

    function _recipientsHold(bytes32 id) internal view returns (uint256) {
        ModelMarketplace.Model memory mm = mkt.getModel(id);
        return mkt.earnings(mm.owner) + (mm.operator == address(0) ? 0 : mkt.earnings(mm.operator))
            + mkt.earnings(mkt.treasury()) + Predeploys.STAKING.balance + Predeploys.CURATION.balance;
    }

    function call(uint256 m, string calldata text, bool prepaid) external {
        _call(m, text, prepaid, 0);
    }

    /// Any of three users calls; the split is checked from the balance changes it causes.
    function callAs(uint256 u, uint256 m, string calldata text, bool prepaid) external {
        _call(m, text, prepaid, u);
    }

    function _call(uint256 m, string calldata text, bool prepaid, uint256 u) internal {
        bytes32 id = models[m % 3];
        address who = users[u % 3];
        uint256 price = mkt.currentPrice(id);
        if (bytes(text).length > 4096) return;
        uint256 held = _recipientsHold(id);
        uint256 bal = mkt.balances(who);
        bool ok;
        if (prepaid) {
            if (bal < price) return;
            vm.prank(who);
            try mkt.embed(id, text) {
                ok = true;
            } catch {}
            if (ok && bal - mkt.balances(who) != price) ++overcharges;
        } else {
            vm.deal(who, price);
            vm.prank(who);
            try mkt.embed{value: price}(id, text) {
                ok = true;
                ghostDeposited += price;
            } catch {}
        }
        if (!ok) return;
        _afterCall(id, who, price, held);
    }

    function _afterCall(bytes32 id, address who, uint256 price, uint256 held) internal {
        uint256 cap = mkt.callerPriceCap(who, id);
        if (cap != 0 && price > cap) ++capBreaches;
        if (_recipientsHold(id) - held != price) ++splitMismatches;
        (uint256 a, uint256 b, uint256 c, uint256 d, uint256 e) = mkt.previewSplit(id, price);
        ghostPaid += price;
        ghostSplitSum += a + b + c + d + e;
    }

    /// The owner changes a price (after the cooldown): decreases apply at once, increases after the delay.
    function setPrice(uint256 m, uint256 newPrice) external {
        vm.warp(block.timestamp + mkt.priceCooldown());
        vm.prank(address(0x0E1));
        mkt.setPrice(models[m % 3], bound(newPrice, 0, 5 ether));
        ++priceChanges;
    }

    function setCap(uint256 u, uint256 m, uint256 cap) external {
        vm.prank(users[u % 3]);
        mkt.setCallerPriceCap(models[m % 3], bound(cap, 0, 5 ether));
    }

    function warp(uint256 secs) external {
        vm.warp(block.timestamp + bound(secs, 1, 2 days));
    }

    function deposit(uint256 amount) external {
        amount = bound(amount, 1, 100 ether);
        vm.deal(user, amount);
        vm.prank(user);
        mkt.deposit{value: amount}();
        ghostDeposited += amount;
    }

    function depositFor(uint256 u, uint256 amount) external {
        amount = bound(amount, 1, 100 ether);
        vm.deal(address(this), amount);
        mkt.depositFor{value: amount}(users[u % 3]);
        ghostDeposited += amount;
    }

    function withdrawAs(uint256 u, uint256 amount) external {
        address who = users[u % 3];
        uint256 bal = mkt.balances(who);
        if (bal == 0) return;
        amount = bound(amount, 1, bal);
        vm.prank(who);
        mkt.withdrawBalance(amount);
        ghostWithdrawn += amount;
    }

    function withdraw(uint256 amount) external {
        uint256 bal = mkt.balances(user);
        if (bal == 0) return;
        amount = bound(amount, 1, bal);
        vm.prank(user);
        mkt.withdrawBalance(amount);
        ghostWithdrawn += amount;
    }

    function setSplit(uint16 a, uint16 b, uint16 c, uint16 d) external {
        a = uint16(bound(a, 0, 10_000));
        b = uint16(bound(b, 0, 10_000 - a));
        c = uint16(bound(c, 0, 10_000 - a - b));
        d = uint16(bound(d, 0, 10_000 - a - b - c));
        vm.prank(admin);
        mkt.setSplit(ModelMarketplace.Split(a, b, c, d));
    }

    function withdrawEarnings(uint256 who) external {
        address[3] memory accts = [address(0x0E1), address(0x0E2), address(0x7EA)];
        address a = accts[who % 3];
        if (mkt.earnings(a) == 0) return;
        uint256 amt = mkt.earnings(a);
        vm.prank(a);
        mkt.withdrawEarnings();
        ghostWithdrawn += amt;
    }
}

contract MarketplaceInvariants is L2Base {
    MarketHandler internal h;
    ModelMarketplace internal mkt = ModelMarketplace(Predeploys.MODEL_MARKETPLACE);
    uint256 internal stakingBase;
    uint256 internal curationBase;

    function setUp() public override {
        super.setUp();
        // treasury / owner / operator at fixed addresses so the handler can withdraw
        vm.prank(admin);
        mkt.setWiring(address(0x7EA), Predeploys.STAKING, Predeploys.CURATION);
        address operator = address(0x0E2);
        vm.deal(operator, 100 ether);
        vm.prank(operator);
        Staking(payable(Predeploys.STAKING)).registerValidator{value: 100 ether}(700, 1000, 100);
        uint256[3] memory prices = [uint256(1 ether), 3 wei, 7_777_777_777];
        for (uint256 i = 0; i < 3; ++i) {
            bytes32 id = keccak256(abi.encodePacked("m", vm.toString(i)));
            vm.prank(address(0x0E1));
            mkt.registerModel(
                id,
                ModelMarketplace.ModelParams(1, 4096, 16, 30_000, 10, 1, 0, prices[i], i == 2 ? address(0) : operator),
                ""
            );
        }
        vm.deal(address(this), 1 ether);
        Curation(Predeploys.CURATION).curate{value: 1 ether}(keccak256(abi.encodePacked("m", vm.toString(uint256(1)))));
        stakingBase = Predeploys.STAKING.balance;
        curationBase = Predeploys.CURATION.balance;
        h = new MarketHandler(admin);
        targetContract(address(h));
    }

    /// Every payment is split exactly: shares sum to the price, and no wei is created or lost.
    function invariant_paymentsSplitExactly() public view {
        assertEq(h.ghostSplitSum(), h.ghostPaid());
        uint256 held = address(mkt).balance + (Predeploys.STAKING.balance - stakingBase)
            + (Predeploys.CURATION.balance - curationBase);
        uint256 outflow = h.ghostWithdrawn();
        assertEq(held + outflow, h.ghostDeposited());
        assertEq(address(mkt).balance, mkt.totalBalances() + mkt.totalEarnings());
    }

    /// Measured from balance changes (not previewSplit): every paid call moved exactly its price to the
    /// recipients; a prepaid caller was never charged more than the price in force before its call (price
    /// increases wait for the delay), and never above its own cap.
    function invariant_callersProtected() public view {
        assertEq(h.splitMismatches(), 0, "recipients did not receive exactly the price");
        assertEq(h.overcharges(), 0, "prepaid caller charged more than the price in force");
        assertEq(h.capBreaches(), 0, "a call above the caller's cap went through");
    }
}
