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

    function call(uint256 m, string calldata text, bool prepaid) external {
        bytes32 id = models[m % 3];
        uint256 price = mkt.getModel(id).price;
        if (bytes(text).length > 4096) return;
        (uint256 a, uint256 b, uint256 c, uint256 d, uint256 e) = mkt.previewSplit(id, price);
        if (prepaid) {
            if (mkt.balances(user) < price) return;
            vm.prank(user);
            mkt.embed(id, text);
        } else {
            vm.deal(user, price);
            vm.prank(user);
            mkt.embed{value: price}(id, text);
            ghostDeposited += price;
        }
        ghostPaid += price;
        ghostSplitSum += a + b + c + d + e;
    }

    function deposit(uint256 amount) external {
        amount = bound(amount, 1, 100 ether);
        vm.deal(user, amount);
        vm.prank(user);
        mkt.deposit{value: amount}();
        ghostDeposited += amount;
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
}
