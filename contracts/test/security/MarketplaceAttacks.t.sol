// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {L2Base} from "../L2/L2Base.t.sol";
import {ModelMarketplace} from "../../src/L2/ModelMarketplace.sol";
import {Predeploys} from "../../src/libraries/Predeploys.sol";

/// @notice Attacks on the marketplace from issue 15; each test performs the attack and asserts it fails.
contract MarketplaceAttacksTest is L2Base {
    ModelMarketplace internal mkt = ModelMarketplace(Predeploys.MODEL_MARKETPLACE);
    address internal owner = makeAddr("greedyOwner");
    address internal victim = makeAddr("victim");
    bytes32 internal constant EMB = keccak256("minilm");

    function _params(uint256 price, address op) internal pure returns (ModelMarketplace.ModelParams memory) {
        return ModelMarketplace.ModelParams({
            kind: 1,
            maxInputBytes: 4096,
            maxUnits: 256,
            baseGas: 50_000,
            gasPerUnit: 2_000,
            gasPerInputByte: 16,
            toleranceBps: 50,
            price: price,
            operator: op
        });
    }

    function setUp() public override {
        super.setUp();
        vm.deal(victim, 100 ether);
        // The owner names itself operator, so it collects the owner and operator shares.
        vm.prank(owner);
        mkt.registerModel(EMB, _params(1 ether, owner), "ipfs://minilm");
        vm.prank(victim);
        mkt.deposit{value: 100 ether}();
    }

    /// Attack 1a: after the cooldown the owner raises the price to 100× and the victim's next call
    /// (sent while the price was 1 BAI) pays it from the prepaid balance.
    function test_attack1_priceRaiseDrainsPrepaidBalance() public {
        vm.warp(block.timestamp + 2 hours);
        vm.prank(owner);
        mkt.setPrice(EMB, 100 ether);
        vm.prank(victim);
        mkt.embed(EMB, "hello");
        assertEq(mkt.balances(victim), 99 ether, "victim paid more than the price it saw");
    }

    /// Attack 1b: the owner front-runs the victim's call in the same block.
    function test_attack1_frontRunPriceRaise() public {
        vm.warp(block.timestamp + 2 hours);
        uint256 before = mkt.balances(victim);
        vm.prank(owner);
        mkt.setPrice(EMB, 50 ether);
        vm.prank(victim);
        mkt.embed(EMB, "hello");
        assertEq(before - mkt.balances(victim), 1 ether, "front-run raised the victim's price");
    }
}

/// @notice The price-increase delay and the caller's cap (attack 1's fix), unit + fuzz.
contract MarketplacePriceDelayTest is MarketplaceAttacksTest {
    event PriceIncreaseScheduled(bytes32 indexed modelId, uint256 currentPrice, uint256 newPrice, uint64 effectiveAt);

    function test_increase_announcedThenApplied() public {
        vm.warp(block.timestamp + 2 hours);
        uint64 at = uint64(block.timestamp + mkt.priceIncreaseDelay());
        vm.expectEmit(address(mkt));
        emit PriceIncreaseScheduled(EMB, 1 ether, 3 ether, at);
        vm.prank(owner);
        mkt.setPrice(EMB, 3 ether);
        (uint256 pp, uint64 pat) = mkt.pendingPrices(EMB);
        assertEq(pp, 3 ether);
        assertEq(pat, at);
        assertEq(mkt.currentPrice(EMB), 1 ether);
        vm.expectRevert(abi.encodeWithSelector(ModelMarketplace.NoPriceDue.selector, EMB));
        mkt.applyPendingPrice(EMB);
        vm.warp(at);
        assertEq(mkt.currentPrice(EMB), 3 ether);
        assertEq(mkt.getModel(EMB).price, 1 ether, "record not yet written");
        vm.prank(victim);
        mkt.embed(EMB, "x");
        assertEq(mkt.balances(victim), 97 ether, "the due price is paid");
        assertEq(mkt.getModel(EMB).price, 3 ether, "the call wrote the record");
        (, pat) = mkt.pendingPrices(EMB);
        assertEq(pat, 0);
        vm.expectRevert(abi.encodeWithSelector(ModelMarketplace.NoPriceDue.selector, EMB));
        mkt.applyPendingPrice(EMB);
    }

    function test_valuePaymentUsesDuePrice() public {
        vm.warp(block.timestamp + 2 hours);
        vm.prank(owner);
        mkt.setPrice(EMB, 2 ether);
        vm.deal(address(this), 10 ether);
        vm.expectRevert(abi.encodeWithSelector(ModelMarketplace.WrongPayment.selector, 2 ether, 1 ether));
        mkt.embed{value: 2 ether}(EMB, "x");
        skip(1 days);
        mkt.embed{value: 2 ether}(EMB, "x");
        assertEq(mkt.getModel(EMB).price, 2 ether);
    }

    function test_decreaseImmediateAndCancelsIncrease() public {
        vm.warp(block.timestamp + 2 hours);
        vm.startPrank(owner);
        mkt.setPrice(EMB, 5 ether);
        skip(1 hours);
        mkt.setPrice(EMB, 0.5 ether);
        vm.stopPrank();
        assertEq(mkt.getModel(EMB).price, 0.5 ether);
        (, uint64 at) = mkt.pendingPrices(EMB);
        assertEq(at, 0, "the increase was withdrawn");
        skip(2 days);
        assertEq(mkt.currentPrice(EMB), 0.5 ether);
    }

    function test_setPriceAppliesDueIncreaseFirst() public {
        vm.warp(block.timestamp + 2 hours);
        vm.prank(owner);
        mkt.setPrice(EMB, 5 ether);
        skip(2 days);
        vm.prank(owner);
        mkt.setPrice(EMB, 4 ether); // a decrease from the due 5 BAI
        assertEq(mkt.getModel(EMB).price, 4 ether);
    }

    function test_callerCapRefusesHigherPrice() public {
        vm.prank(victim);
        mkt.setCallerPriceCap(EMB, 1 ether);
        assertEq(mkt.callerPriceCap(victim, EMB), 1 ether);
        vm.warp(block.timestamp + 2 hours);
        vm.prank(owner);
        mkt.setPrice(EMB, 100 ether);
        skip(1 days);
        vm.prank(victim);
        vm.expectRevert(abi.encodeWithSelector(ModelMarketplace.PriceAboveCallerCap.selector, 100 ether, 1 ether));
        mkt.embed(EMB, "x");
        assertEq(mkt.balances(victim), 100 ether);
        vm.deal(victim, 100 ether);
        vm.prank(victim);
        vm.expectRevert(abi.encodeWithSelector(ModelMarketplace.PriceAboveCallerCap.selector, 100 ether, 1 ether));
        mkt.embed{value: 100 ether}(EMB, "x");
    }

    function test_priceIncreaseDelayGovernance() public {
        assertEq(mkt.priceIncreaseDelay(), mkt.DEFAULT_PRICE_INCREASE_DELAY());
        vm.startPrank(admin);
        mkt.setPriceIncreaseDelay(2 hours);
        assertEq(mkt.priceIncreaseDelay(), 2 hours);
        vm.expectRevert(abi.encodeWithSelector(ModelMarketplace.OutOfBounds.selector, 1, 10 minutes, 30 days));
        mkt.setPriceIncreaseDelay(1);
        vm.expectRevert(abi.encodeWithSelector(ModelMarketplace.OutOfBounds.selector, 31 days, 10 minutes, 30 days));
        mkt.setPriceIncreaseDelay(31 days);
        vm.stopPrank();
        vm.expectRevert();
        mkt.setPriceIncreaseDelay(1 hours);
    }

    function test_newDelaySlotsAppended() public view {
        // the delay state follows _modelIds (slot 18); slots 0 and 1 are the registry the node reads.
        assertEq(uint256(vm.load(address(mkt), bytes32(uint256(19)))), 1 days, "priceIncreaseDelay at slot 19");
        assertEq(uint256(vm.load(address(mkt), bytes32(uint256(17)))), 1, "modelCount at slot 17");
    }

    /// A prepaid caller never pays more than the price in force when its call was sent, however the
    /// owner moves the price in the same block.
    function testFuzz_noSameBlockIncrease(uint256 newPrice, uint256 wait) public {
        newPrice = bound(newPrice, 0, 1000 ether);
        wait = bound(wait, 1 hours, mkt.priceIncreaseDelay() + 1 hours);
        vm.warp(block.timestamp + wait);
        uint256 seen = mkt.currentPrice(EMB);
        vm.prank(owner);
        mkt.setPrice(EMB, newPrice);
        uint256 before = mkt.balances(victim);
        vm.prank(victim);
        mkt.embed(EMB, "x");
        uint256 paid = before - mkt.balances(victim);
        assertLe(paid, seen, "paid above the price seen before the change");
        assertEq(paid, newPrice < seen ? newPrice : seen);
    }
}

contract MarketplaceBoundsTest is MarketplaceAttacksTest {
    function test_priceCooldownBounded() public {
        ModelMarketplace.GasFloor memory f = ModelMarketplace.GasFloor(21_000, 1, 1);
        vm.startPrank(admin);
        vm.expectRevert(abi.encodeWithSelector(ModelMarketplace.OutOfBounds.selector, 31 days, 0, 30 days));
        mkt.setBounds(1000 ether, 31 days, f, false);
        mkt.setBounds(1000 ether, 30 days, f, false);
        vm.stopPrank();
        assertEq(mkt.priceCooldown(), 30 days);
    }
}

/// @notice Attack 8: modelIds() grows without bound; modelIdsPage pages it.
contract MarketplacePagingTest is MarketplaceAttacksTest {
    function test_attack8_modelIdsPaged() public {
        for (uint256 i = 0; i < 5; ++i) {
            vm.prank(owner);
            mkt.registerModel(keccak256(abi.encode(i)), _params(0, address(0)), "");
        }
        bytes32[] memory all = mkt.modelIds();
        assertEq(all.length, 6);
        assertEq(mkt.modelCount(), 6);
        bytes32[] memory p0 = mkt.modelIdsPage(0, 4);
        bytes32[] memory p1 = mkt.modelIdsPage(4, 4);
        assertEq(p0.length, 4);
        assertEq(p1.length, 2);
        for (uint256 i = 0; i < 4; ++i) assertEq(p0[i], all[i]);
        for (uint256 i = 0; i < 2; ++i) assertEq(p1[i], all[4 + i]);
        assertEq(mkt.modelIdsPage(6, 4).length, 0);
        assertEq(mkt.modelIdsPage(100, type(uint256).max).length, 0);
        assertEq(mkt.modelIdsPage(1, type(uint256).max).length, 5);
        assertEq(mkt.modelIdsPage(0, 0).length, 0);
    }

    function testFuzz_pagesConcatenateToAll(uint8 n, uint8 limit) public {
        n = uint8(bound(n, 0, 20));
        limit = uint8(bound(limit, 1, 7));
        for (uint256 i = 0; i < n; ++i) {
            vm.prank(owner);
            mkt.registerModel(keccak256(abi.encode("m", i)), _params(0, address(0)), "");
        }
        bytes32[] memory all = mkt.modelIds();
        uint256 seen;
        for (uint256 off = 0; off < all.length; off += limit) {
            bytes32[] memory page = mkt.modelIdsPage(off, limit);
            for (uint256 j = 0; j < page.length; ++j) assertEq(page[j], all[seen++]);
        }
        assertEq(seen, all.length);
    }
}
