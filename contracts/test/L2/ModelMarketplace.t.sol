// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {L2Base} from "./L2Base.t.sol";
import {ModelMarketplace} from "../../src/L2/ModelMarketplace.sol";
import {Staking} from "../../src/L2/Staking.sol";
import {Curation} from "../../src/L2/Curation.sol";
import {Predeploys} from "../../src/libraries/Predeploys.sol";
import {BaiInference} from "../../src/libraries/BaiInference.sol";
import {IBaiInference} from "../../src/interfaces/IBaiInference.sol";
import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";

contract FreeModelUser {
    function run(bytes32 id) external returns (string memory) {
        return BaiInference.generate(id, "hi", 4);
    }

    function cost(bytes32 id) external view returns (uint256) {
        return BaiInference.quote(id, 10, 4);
    }

    function vec(bytes32 id) external returns (int32[] memory) {
        return BaiInference.embed(id, "abc");
    }

    function raw(bytes32 id) external returns (bytes memory) {
        return BaiInference.infer(id, "abc", 1);
    }
}

contract ModelMarketplaceTest is L2Base {
    ModelMarketplace internal mkt = ModelMarketplace(Predeploys.MODEL_MARKETPLACE);
    Staking internal staking = Staking(payable(Predeploys.STAKING));
    Curation internal curation = Curation(Predeploys.CURATION);
    address internal owner = makeAddr("modelOwner");
    address internal operator = makeAddr("operator");
    address internal user = makeAddr("user");
    bytes32 internal constant EMB = keccak256("minilm");
    bytes32 internal constant GEN = keccak256("smollm");
    bytes32 internal constant GENERIC = keccak256("generic");

    function _params(uint8 kind, uint256 price, address op) internal pure returns (ModelMarketplace.ModelParams memory) {
        return ModelMarketplace.ModelParams({
            kind: kind,
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
        vm.deal(owner, 100 ether);
        vm.deal(user, 100 ether);
        vm.deal(operator, 1000 ether);
        vm.prank(owner);
        mkt.registerModel(EMB, _params(1, 1 ether, operator), "ipfs://minilm");
    }

    function test_registryLayoutPinned() public view {
        bytes32 base = keccak256(abi.encode(EMB, uint256(0)));
        uint256 w = uint256(vm.load(address(mkt), base));
        assertEq(uint8(w), 1, "status");
        assertEq(uint8(w >> 8), 1, "kind");
        assertEq(uint32(w >> 16), 4096, "maxInputBytes");
        assertEq(uint32(w >> 48), 256, "maxUnits");
        assertEq(uint64(w >> 80), 50_000, "baseGas");
        assertEq(uint64(w >> 144), 2_000, "gasPerUnit");
        assertEq(uint32(w >> 208), 16, "gasPerInputByte");
        assertEq(uint16(w >> 240), 50, "toleranceBps");
        assertEq(uint256(vm.load(address(mkt), bytes32(uint256(base) + 1))), 1 ether, "price");
        assertEq(address(uint160(uint256(vm.load(address(mkt), bytes32(uint256(base) + 2))))), owner, "owner");
        assertEq(address(uint160(uint256(vm.load(address(mkt), bytes32(uint256(base) + 3))))), operator, "operator");
        ModelMarketplace.Model memory m = mkt.getModel(EMB);
        assertEq(m.metadataURI, "ipfs://minilm");
        assertEq(mkt.quote(EMB, 100, 10), 50_000 + 16 * 100 + 2_000 * 10);
        assertEq(mkt.modelCount(), 1);
    }

    function test_paidCall_splitsExactly() public {
        // no operator stake, no curators: stakers' and curators' shares go to the treasury (5% + 5% + 5%)
        vm.prank(user);
        int32[] memory e = mkt.embed{value: 1 ether}(EMB, "hello");
        assertEq(e.length, 2);
        assertEq(mkt.earnings(owner), 0.7 ether);
        assertEq(mkt.earnings(operator), 0.15 ether);
        assertEq(mkt.earnings(treasury), 0.15 ether);
        assertEq(address(mkt).balance, 1 ether);
        assertEq(mkt.totalEarnings(), 1 ether);
    }

    function test_paidCall_withStakersAndCurators() public {
        vm.prank(operator);
        staking.registerValidator{value: 100 ether}(1000, 2000, 100);
        address curator = makeAddr("curator");
        vm.deal(curator, 10 ether);
        vm.prank(curator);
        curation.curate{value: 10 ether}(EMB);
        vm.prank(user);
        mkt.embed{value: 1 ether}(EMB, "hello");
        assertEq(mkt.earnings(owner), 0.7 ether);
        assertEq(mkt.earnings(operator), 0.15 ether);
        assertEq(mkt.earnings(treasury), 0.05 ether);
        assertEq(address(staking).balance, 100 ether + 0.05 ether);
        assertEq(address(curation).balance, 10 ether + 0.05 ether);
        assertApproxEqAbs(curation.pendingRewards(EMB, curator), 0.05 ether, 1);
        vm.prank(owner);
        mkt.withdrawEarnings();
        assertEq(owner.balance, 100 ether + 0.7 ether);
    }

    function test_prepaidBalance() public {
        vm.startPrank(user);
        mkt.deposit{value: 3 ether}();
        mkt.embed(EMB, "a");
        mkt.embed(EMB, "b");
        assertEq(mkt.balances(user), 1 ether);
        mkt.withdrawBalance(1 ether);
        vm.expectRevert(abi.encodeWithSelector(ModelMarketplace.InsufficientBalance.selector, 0, 1 ether));
        mkt.embed(EMB, "c");
        vm.stopPrank();
    }

    function test_paidModel_cannotBeCalledDirectly() public {
        FreeModelUser u = new FreeModelUser();
        vm.expectRevert(abi.encodeWithSelector(IBaiInference.PaymentRequired.selector, EMB, 1 ether));
        u.vec(EMB);
    }

    function test_modelIds_enumeratesInRegistrationOrder() public {
        bytes32[] memory ids = mkt.modelIds();
        assertEq(ids.length, 1);
        assertEq(ids[0], EMB);
        vm.startPrank(owner);
        mkt.registerModel(GEN, _params(2, 0, address(0)), "smollm");
        mkt.registerModel(GENERIC, _params(3, 0, address(0)), "");
        // retired / paused models stay listed (getModel tells their status)
        mkt.retire(GEN);
        vm.stopPrank();
        ids = mkt.modelIds();
        assertEq(ids.length, 3);
        assertEq(ids.length, mkt.modelCount());
        assertEq(ids[1], GEN);
        assertEq(ids[2], GENERIC);
        assertEq(mkt.getModel(ids[1]).status, 3);
        // a failed registration does not append
        vm.prank(owner);
        vm.expectRevert(abi.encodeWithSelector(ModelMarketplace.ModelExists.selector, GEN));
        mkt.registerModel(GEN, _params(2, 0, address(0)), "");
        assertEq(mkt.modelIds().length, 3);
    }

    /// @dev `_modelIds` is appended after every earlier variable: slot 18 (length), elements at keccak256(18)
    ///      (slot 1 is the registry's `_zkKeys`, so the marketplace's own state starts at slot 2).
    function test_modelIds_layoutAppendedAtEnd() public view {
        assertEq(uint256(vm.load(address(mkt), bytes32(uint256(17)))), 1, "modelCount at slot 17");
        assertEq(uint256(vm.load(address(mkt), bytes32(uint256(18)))), 1, "_modelIds length at slot 18");
        assertEq(vm.load(address(mkt), keccak256(abi.encode(uint256(18)))), EMB, "_modelIds[0]");
    }

    function test_freeModels_callableDirectly() public {
        vm.startPrank(owner);
        mkt.registerModel(GEN, _params(2, 0, address(0)), "");
        mkt.registerModel(GENERIC, _params(3, 0, address(0)), "");
        vm.stopPrank();
        FreeModelUser u = new FreeModelUser();
        assertEq(u.run(GEN), "echo:hi");
        assertEq(u.cost(GEN), 50_000 + 160 + 8_000);
        assertEq(u.raw(GENERIC), abi.encodePacked(keccak256("abc")));
        // through the marketplace, free calls need no payment
        assertEq(mkt.generate(GEN, "yo", 4), "echo:yo");
        assertEq(mkt.infer(GENERIC, "abc", 1), abi.encodePacked(keccak256("abc")));
        vm.expectRevert(abi.encodeWithSelector(ModelMarketplace.WrongPayment.selector, 1, 0));
        mkt.generate{value: 1}(GEN, "yo", 4);
    }

    function test_callReverts() public {
        vm.startPrank(user);
        vm.expectRevert(abi.encodeWithSelector(ModelMarketplace.WrongPayment.selector, 2 ether, 1 ether));
        mkt.embed{value: 2 ether}(EMB, "x");
        vm.expectRevert(abi.encodeWithSelector(ModelMarketplace.WrongKind.selector, 2, 1));
        mkt.generate{value: 1 ether}(EMB, "x", 1);
        vm.expectRevert(abi.encodeWithSelector(ModelMarketplace.ModelNotActive.selector, GEN));
        mkt.generate(GEN, "x", 1);
        bytes memory big = new bytes(4097);
        vm.expectRevert(abi.encodeWithSelector(ModelMarketplace.InputTooLarge.selector, 4097, 4096));
        mkt.embed{value: 1 ether}(EMB, string(big));
        vm.stopPrank();
        vm.prank(admin);
        mkt.pause();
        vm.expectRevert();
        mkt.embed{value: 1 ether}(EMB, "x");
        vm.prank(admin);
        mkt.unpause();
    }

    /// GUARDIAN_ROLE: pause only. Nobody holds it at genesis; the admin (DEFAULT_ADMIN_ROLE) appoints it. The
    /// guardian pauses at once; every `whenNotPaused` path then reverts while deposits and withdrawals stay open;
    /// the guardian cannot unpause, re-pause or touch roles; a governor unpauses (and may pause too).
    function test_guardian_pausesOnly_governorUnpauses() public {
        bytes32 guardianRole = mkt.GUARDIAN_ROLE();
        bytes32 gov = mkt.GOVERNOR_ROLE();
        assertEq(guardianRole, keccak256("GUARDIAN_ROLE"));
        assertEq(mkt.getRoleAdmin(guardianRole), mkt.DEFAULT_ADMIN_ROLE());
        assertFalse(mkt.hasRole(guardianRole, admin), "no genesis holder");
        address guardian = makeAddr("guardian");
        address stranger = makeAddr("stranger");

        // Not yet appointed: refused like any stranger (the governor's error, as before).
        vm.prank(guardian);
        vm.expectRevert(_unauthorized(guardian, gov));
        mkt.pause();
        vm.prank(admin);
        mkt.grantRole(guardianRole, guardian);

        vm.prank(user);
        mkt.deposit{value: 2 ether}();
        vm.expectEmit(address(mkt));
        emit Pausable.Paused(guardian);
        vm.prank(guardian);
        mkt.pause();
        assertTrue(mkt.paused());

        vm.startPrank(user);
        vm.expectRevert(Pausable.EnforcedPause.selector);
        mkt.embed{value: 1 ether}(EMB, "x");
        vm.expectRevert(Pausable.EnforcedPause.selector);
        mkt.embed(EMB, "x"); // from the prepaid balance
        vm.expectRevert(Pausable.EnforcedPause.selector);
        mkt.generate(GEN, "x", 1);
        vm.expectRevert(Pausable.EnforcedPause.selector);
        mkt.infer(GENERIC, "x", 1);
        vm.expectRevert(Pausable.EnforcedPause.selector);
        mkt.registerModel(GEN, _params(2, 0, address(0)), "ipfs://smollm");
        // Deposits and withdrawals of prepaid balances stay open.
        mkt.deposit{value: 1 ether}();
        mkt.withdrawBalance(3 ether);
        vm.stopPrank();
        assertEq(mkt.balances(user), 0);

        vm.startPrank(guardian);
        vm.expectRevert(Pausable.EnforcedPause.selector);
        mkt.pause();
        vm.expectRevert(_unauthorized(guardian, gov));
        mkt.unpause();
        vm.expectRevert(_unauthorized(guardian, bytes32(0)));
        mkt.grantRole(guardianRole, stranger);
        vm.expectRevert(_unauthorized(guardian, bytes32(0)));
        mkt.revokeRole(gov, admin);
        vm.expectRevert(_unauthorized(guardian, gov));
        mkt.setSplit(ModelMarketplace.Split({ownerBps: 0, operatorBps: 0, stakersBps: 0, curatorsBps: 0}));
        vm.stopPrank();

        vm.prank(stranger);
        vm.expectRevert(_unauthorized(stranger, gov));
        mkt.unpause();
        vm.expectEmit(address(mkt));
        emit Pausable.Unpaused(admin);
        vm.prank(admin);
        mkt.unpause();
        vm.prank(user);
        mkt.embed{value: 1 ether}(EMB, "x");

        // A governor still pauses; a non-guardian, non-governor cannot.
        vm.prank(stranger);
        vm.expectRevert(_unauthorized(stranger, gov));
        mkt.pause();
        vm.prank(admin);
        mkt.pause();
        assertTrue(mkt.paused());
        vm.prank(admin);
        mkt.unpause();

        // Revoked: the former guardian is a stranger again.
        vm.prank(admin);
        mkt.revokeRole(guardianRole, guardian);
        vm.prank(guardian);
        vm.expectRevert(_unauthorized(guardian, gov));
        mkt.pause();
        assertFalse(mkt.paused());
    }

    function _unauthorized(address account, bytes32 role) internal pure returns (bytes memory) {
        return abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, account, role);
    }

    function test_ownerActions() public {
        vm.startPrank(owner);
        vm.expectRevert(abi.encodeWithSelector(ModelMarketplace.PriceCooldown.selector, block.timestamp + 1 hours));
        mkt.setPrice(EMB, 2 ether);
        skip(1 hours);
        mkt.setPrice(EMB, 2 ether);
        assertEq(mkt.getModel(EMB).price, 1 ether, "an increase waits for the delay");
        skip(1 days);
        mkt.applyPendingPrice(EMB);
        assertEq(mkt.getModel(EMB).price, 2 ether);
        vm.expectRevert(abi.encodeWithSelector(ModelMarketplace.PriceTooHigh.selector, 1001 ether, 1000 ether));
        mkt.setPrice(EMB, 1001 ether);
        mkt.setOperator(EMB, address(0));
        assertEq(mkt.getModel(EMB).operator, address(0));
        mkt.setMetadataURI(EMB, "ipfs://v2");
        assertEq(mkt.getModel(EMB).metadataURI, "ipfs://v2");
        ModelMarketplace.ModelParams memory np = _params(1, 0, address(0));
        np.baseGas = 99_999;
        mkt.updateModelParams(EMB, np);
        assertEq(mkt.getModel(EMB).baseGas, 99_999);
        np.maxInputBytes = 0;
        vm.expectRevert(ModelMarketplace.InvalidParams.selector);
        mkt.updateModelParams(EMB, np);
        mkt.setActive(EMB, false);
        assertEq(mkt.getModel(EMB).status, 2);
        mkt.setActive(EMB, true);
        mkt.transferModelOwnership(EMB, user);
        vm.expectRevert(ModelMarketplace.NotModelOwner.selector);
        mkt.setMetadataURI(EMB, "x");
        vm.expectRevert(ModelMarketplace.NotModelOwner.selector);
        mkt.retire(EMB);
        vm.stopPrank();
        vm.startPrank(user);
        vm.expectRevert(ModelMarketplace.ZeroAddress.selector);
        mkt.transferModelOwnership(EMB, address(0));
        mkt.retire(EMB);
        vm.expectRevert(abi.encodeWithSelector(ModelMarketplace.ModelRetired.selector, EMB));
        mkt.setActive(EMB, true);
        vm.stopPrank();
        vm.expectRevert(abi.encodeWithSelector(ModelMarketplace.UnknownModel.selector, GEN));
        mkt.retire(GEN);
        vm.expectRevert(abi.encodeWithSelector(ModelMarketplace.UnknownModel.selector, GEN));
        mkt.quote(GEN, 1, 1);
    }

    function test_moderatorCanPauseAndRetire() public {
        vm.startPrank(admin);
        mkt.setActive(EMB, false);
        mkt.retire(EMB);
        vm.stopPrank();
        assertEq(mkt.getModel(EMB).status, 3);
    }

    function test_registerReverts() public {
        vm.startPrank(owner);
        vm.expectRevert(abi.encodeWithSelector(ModelMarketplace.ModelExists.selector, EMB));
        mkt.registerModel(EMB, _params(1, 0, address(0)), "");
        vm.expectRevert(ModelMarketplace.InvalidParams.selector);
        mkt.registerModel(bytes32(0), _params(1, 0, address(0)), "");
        vm.expectRevert(ModelMarketplace.InvalidParams.selector);
        mkt.registerModel(GEN, _params(4, 0, address(0)), "");
        ModelMarketplace.ModelParams memory low = _params(2, 0, address(0));
        low.baseGas = 100;
        vm.expectRevert(ModelMarketplace.InvalidParams.selector);
        mkt.registerModel(GEN, low, "");
        vm.stopPrank();
    }

    function test_requireServingOperator() public {
        vm.prank(admin);
        mkt.setBounds(1000 ether, 0, ModelMarketplace.GasFloor(21_000, 1, 1), true);
        vm.prank(owner);
        vm.expectRevert(abi.encodeWithSelector(ModelMarketplace.OperatorNotServing.selector, operator, GEN));
        mkt.registerModel(GEN, _params(2, 0, operator), "");
        vm.startPrank(operator);
        staking.registerValidator{value: 100 ether}(0, 0, 0);
        staking.setServedModel(GEN, true);
        vm.stopPrank();
        vm.prank(owner);
        mkt.registerModel(GEN, _params(2, 0, operator), "");
        assertTrue(mkt.requireServingOperator());
    }

    function test_governance() public {
        vm.startPrank(admin);
        mkt.setSplit(ModelMarketplace.Split(5000, 2000, 1000, 1000));
        (uint16 o,,,) = mkt.split();
        assertEq(o, 5000);
        vm.expectRevert(ModelMarketplace.InvalidSplit.selector);
        mkt.setSplit(ModelMarketplace.Split(5000, 5000, 1, 0));
        mkt.setWiring(treasury, address(0), address(0));
        vm.expectRevert(ModelMarketplace.ZeroAddress.selector);
        mkt.setWiring(address(0), address(0), address(0));
        vm.stopPrank();
        (uint256 a, uint256 b, uint256 c, uint256 d, uint256 e) = mkt.previewSplit(EMB, 1 ether);
        assertEq(a + b + c + d + e, 1 ether);
        assertEq(c, 0);
        vm.expectRevert(abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, address(this), mkt.GOVERNOR_ROLE()));
        mkt.setSplit(ModelMarketplace.Split(0, 0, 0, 0));
    }

    function test_balanceReverts() public {
        vm.expectRevert(ModelMarketplace.ZeroAmount.selector);
        mkt.deposit();
        vm.expectRevert(ModelMarketplace.ZeroAddress.selector);
        mkt.depositFor{value: 1}(address(0));
        vm.expectRevert(ModelMarketplace.ZeroAmount.selector);
        mkt.withdrawBalance(0);
        vm.expectRevert(abi.encodeWithSelector(ModelMarketplace.InsufficientBalance.selector, 0, 1));
        mkt.withdrawBalance(1);
        vm.expectRevert(ModelMarketplace.ZeroAmount.selector);
        mkt.withdrawEarnings();
    }

    function testFuzz_splitExact(uint256 price, uint16 a, uint16 b, uint16 c, uint16 d) public {
        price = bound(price, 0, 1000 ether);
        a = uint16(bound(a, 0, 10_000));
        b = uint16(bound(b, 0, 10_000 - a));
        c = uint16(bound(c, 0, 10_000 - a - b));
        d = uint16(bound(d, 0, 10_000 - a - b - c));
        vm.prank(admin);
        mkt.setSplit(ModelMarketplace.Split(a, b, c, d));
        (uint256 o, uint256 op, uint256 st, uint256 cu, uint256 tr) = mkt.previewSplit(EMB, price);
        assertEq(o + op + st + cu + tr, price);
    }

    // ----------------------------------------------------------------------------------------------
    // Verification level zk (setZkKey, zkKey, verificationAt)
    // ----------------------------------------------------------------------------------------------

    /// @dev A clean stand-in verifying key of `len` bytes (the marketplace only stores and hashes it): pseudo-random
    ///      words, the last one zero-padded past `len` as Solidity stores it.
    function _zkKey(uint256 len, uint256 seed) internal pure returns (bytes memory key) {
        key = new bytes(len);
        assembly ("memory-safe") {
            let data := add(key, 32)
            for { let i := 0 } lt(mul(i, 32), len) { i := add(i, 1) } {
                mstore(0, seed)
                mstore(32, i)
                mstore(add(data, mul(i, 32)), keccak256(0, 64))
            }
            let rem := mod(len, 32)
            if rem {
                let last := add(data, sub(len, rem))
                mstore(last, and(mload(last), not(shr(mul(rem, 8), not(0)))))
            }
        }
    }

    function _registerGeneric() internal {
        vm.prank(owner);
        mkt.registerModel(GENERIC, _params(3, 0, operator), "classifier");
    }

    function test_setZkKey() public {
        _registerGeneric();
        vm.roll(500);
        bytes memory key = _zkKey(700, 1);
        assertEq(mkt.verificationAt(GENERIC, 500), mkt.LEVEL_OPTIMISTIC(), "optimistic before");
        assertEq(mkt.zkKey(GENERIC).length, 0, "no key before");

        vm.expectEmit(address(mkt));
        emit ModelMarketplace.ZkKeySet(GENERIC, keccak256(key), 501);
        vm.prank(owner);
        mkt.setZkKey(GENERIC, key);

        ModelMarketplace.Model memory m = mkt.getModel(GENERIC);
        assertEq(m.zkKeyHash, keccak256(key), "zkKeyHash");
        assertEq(m.zkSince, 501, "zkSince = block + 1");
        assertEq(mkt.zkKey(GENERIC), key, "zkKey returns the bytes");
        // in force from the next block on, never before
        assertEq(mkt.verificationAt(GENERIC, 0), 0);
        assertEq(mkt.verificationAt(GENERIC, 499), 0);
        assertEq(mkt.verificationAt(GENERIC, 500), 0, "not in the block it was set in");
        assertEq(mkt.verificationAt(GENERIC, 501), 1, "from zkSince");
        assertEq(mkt.verificationAt(GENERIC, 502), 1);
        assertEq(mkt.verificationAt(GENERIC, type(uint64).max), mkt.LEVEL_ZK());
        // other models and unknown ids stay optimistic; the rest of the record is untouched
        assertEq(mkt.verificationAt(EMB, 501), 0);
        assertEq(mkt.verificationAt(keccak256("unknown"), 501), 0);
        assertEq(m.kind, 3);
        assertEq(m.owner, owner);
        assertEq(m.operator, operator);
        assertEq(m.metadataURI, "classifier");
        assertEq(mkt.LEVEL_OPTIMISTIC(), 0);
        assertEq(mkt.LEVEL_ZK(), 1);
        assertEq(mkt.MAX_ZK_KEY_BYTES(), 16_384);
    }

    /// @dev A zk model's quote is the precompile's (which adds the proof verification's gas for the key's circuit size)
    ///      from zkSince on; before, and for optimistic models, the marketplace's own formula.
    function test_quote_zkModelAsksThePrecompile() public {
        _registerGeneric();
        vm.roll(500);
        vm.prank(owner);
        mkt.setZkKey(GENERIC, _zkKey(700, 2));
        uint256 plain = mkt.quote(GENERIC, 1536, 64);
        bytes memory call = abi.encodeCall(IBaiInference.quote, (GENERIC, 1536, 64));
        vm.mockCall(Predeploys.BAI_INFERENCE, call, abi.encode(plain + 400_000 + 250 * 4096));
        assertEq(mkt.quote(GENERIC, 1536, 64), plain, "not yet in force in the block it was set in");
        vm.roll(501);
        vm.expectCall(Predeploys.BAI_INFERENCE, call);
        assertEq(mkt.quote(GENERIC, 1536, 64), plain + 400_000 + 250 * 4096, "the precompile's quote, with the verification");
        assertEq(mkt.quote(EMB, 100, 10), 50_000 + 16 * 100 + 2_000 * 10, "an optimistic model keeps the formula");
    }

    function test_setZkKey_reverts() public {
        _registerGeneric();
        bytes memory key = _zkKey(64, 2);
        // unknown model
        vm.prank(owner);
        vm.expectRevert(abi.encodeWithSelector(ModelMarketplace.UnknownModel.selector, GEN));
        mkt.setZkKey(GEN, key);
        // not the owner: a user, the operator, a moderator
        vm.prank(user);
        vm.expectRevert(ModelMarketplace.NotModelOwner.selector);
        mkt.setZkKey(GENERIC, key);
        vm.prank(operator);
        vm.expectRevert(ModelMarketplace.NotModelOwner.selector);
        mkt.setZkKey(GENERIC, key);
        vm.prank(admin);
        vm.expectRevert(ModelMarketplace.NotModelOwner.selector);
        mkt.setZkKey(GENERIC, key);
        // only generic models have a proving circuit
        vm.prank(owner);
        vm.expectRevert(abi.encodeWithSelector(ModelMarketplace.WrongKind.selector, 3, 1));
        mkt.setZkKey(EMB, key);
        vm.prank(owner);
        mkt.registerModel(GEN, _params(2, 0, address(0)), "");
        vm.prank(owner);
        vm.expectRevert(abi.encodeWithSelector(ModelMarketplace.WrongKind.selector, 3, 2));
        mkt.setZkKey(GEN, key);
        // empty and oversized keys
        vm.startPrank(owner);
        vm.expectRevert(abi.encodeWithSelector(ModelMarketplace.InvalidZkKey.selector, 0));
        mkt.setZkKey(GENERIC, "");
        vm.expectRevert(abi.encodeWithSelector(ModelMarketplace.InvalidZkKey.selector, 16_385));
        mkt.setZkKey(GENERIC, new bytes(16_385));
        // once only: not even the same key again
        mkt.setZkKey(GENERIC, key);
        vm.roll(block.number + 10);
        vm.expectRevert(abi.encodeWithSelector(ModelMarketplace.ZkKeyAlreadySet.selector, GENERIC));
        mkt.setZkKey(GENERIC, key);
        vm.expectRevert(abi.encodeWithSelector(ModelMarketplace.ZkKeyAlreadySet.selector, GENERIC));
        mkt.setZkKey(GENERIC, _zkKey(65, 3));
        vm.stopPrank();
        assertEq(mkt.zkKey(GENERIC), key);
        // retired models cannot change
        bytes32 other = keccak256("other-generic");
        vm.startPrank(owner);
        mkt.registerModel(other, _params(3, 0, address(0)), "");
        mkt.retire(other);
        vm.expectRevert(abi.encodeWithSelector(ModelMarketplace.ModelRetired.selector, other));
        mkt.setZkKey(other, key);
        vm.stopPrank();
        assertEq(mkt.getModel(other).zkKeyHash, bytes32(0));
    }

    /// @dev The level is the model id's: it survives pausing, ownership transfer, moderator reassignment and retirement.
    function test_zkKey_staysWithTheModel() public {
        _registerGeneric();
        bytes memory key = _zkKey(1000, 4);
        vm.startPrank(owner);
        mkt.setActive(GENERIC, false);
        mkt.setZkKey(GENERIC, key); // a paused model may be made zk
        mkt.transferModelOwnership(GENERIC, user);
        vm.stopPrank();
        vm.prank(admin);
        mkt.reassignModelId(GENERIC, owner);
        vm.prank(owner);
        vm.expectRevert(abi.encodeWithSelector(ModelMarketplace.ZkKeyAlreadySet.selector, GENERIC));
        mkt.setZkKey(GENERIC, _zkKey(1000, 5));
        vm.prank(admin);
        mkt.retire(GENERIC);
        uint64 at = uint64(block.number + 1);
        assertEq(mkt.getModel(GENERIC).zkSince, at);
        assertEq(mkt.verificationAt(GENERIC, at), 1);
        assertEq(mkt.zkKey(GENERIC), key);
    }

    /// @dev Largest key accepted, one byte more refused; gas of a real-sized (2 KiB) key.
    function test_setZkKey_sizes() public {
        _registerGeneric();
        vm.prank(owner);
        mkt.registerModel(GEN, _params(3, 0, address(0)), "");
        bytes memory big = _zkKey(16_384, 6);
        vm.prank(owner);
        mkt.setZkKey(GENERIC, big);
        assertEq(mkt.zkKey(GENERIC), big);
        bytes memory real = _zkKey(2048, 7);
        vm.prank(owner);
        uint256 g = gasleft();
        mkt.setZkKey(GEN, real);
        g -= gasleft();
        emit log_named_uint("setZkKey (2 KiB key) gas", g);
        assertLt(g, 1_600_000, "about 22k gas per 32-byte word");
    }

    /// @dev What the Rust node reads (precompiles/src/registry.rs): zkKeyHash at the struct's base + 5, zkSince at
    ///      base + 6 (low 8 bytes, the rest zero), and the key at slot 1's mapping in Solidity's `bytes` encoding.
    function test_zkLayoutPinned() public {
        _registerGeneric();
        vm.roll(41);
        bytes memory key = _zkKey(700, 8);
        vm.prank(owner);
        mkt.setZkKey(GENERIC, key);
        _assertZkLayout(GENERIC, key, 42);
        // the fields before are where they were (status/kind word, price, owner, operator, metadataURI)
        bytes32 base = keccak256(abi.encode(GENERIC, uint256(0)));
        uint256 w = uint256(vm.load(address(mkt), base));
        assertEq(uint8(w), 1, "status");
        assertEq(uint8(w >> 8), 3, "kind");
        assertEq(address(uint160(uint256(vm.load(address(mkt), bytes32(uint256(base) + 2))))), owner, "owner");
        assertEq(address(uint160(uint256(vm.load(address(mkt), bytes32(uint256(base) + 3))))), operator, "operator");
        // short string: "classifier" left-aligned, 2 × length in the low byte
        assertEq(
            vm.load(address(mkt), bytes32(uint256(base) + 4)),
            bytes32(abi.encodePacked("classifier")) | bytes32(uint256(20))
        );
        // an optimistic model has zeros in both slots and no key
        _assertZkLayout(EMB, "", 0);
    }

    function _assertZkLayout(bytes32 modelId, bytes memory key, uint64 since) internal view {
        bytes32 base = keccak256(abi.encode(modelId, uint256(0)));
        bytes32 hash = key.length == 0 ? bytes32(0) : keccak256(key);
        assertEq(vm.load(address(mkt), bytes32(uint256(base) + 5)), hash, "base+5: zkKeyHash");
        assertEq(
            uint256(vm.load(address(mkt), bytes32(uint256(base) + 6))), since, "base+6: zkSince, alone in its slot"
        );
        assertEq(vm.load(address(mkt), bytes32(uint256(base) + 7)), bytes32(0), "the struct is 7 slots");
        bytes32 keySlot = keccak256(abi.encode(modelId, uint256(1)));
        uint256 head = uint256(vm.load(address(mkt), keySlot));
        uint256 len = key.length;
        if (len < 32) {
            // short form: data left-aligned, 2 × length in the low byte (0 for no key)
            bytes32 want;
            assembly ("memory-safe") {
                want := mload(add(key, 32))
            }
            if (len == 0) want = bytes32(0);
            assertEq(head, uint256(want) | (len * 2), "short bytes: data | 2*len");
            return;
        }
        assertEq(head, len * 2 + 1, "long bytes: 2*len + 1");
        uint256 data = uint256(keccak256(abi.encode(keySlot)));
        uint256 words = (len + 31) / 32;
        for (uint256 i = 0; i < words; ++i) {
            bytes32 want;
            assembly ("memory-safe") {
                want := mload(add(add(key, 32), mul(i, 32)))
            }
            assertEq(vm.load(address(mkt), bytes32(data + i)), want, "key data word");
        }
        assertEq(vm.load(address(mkt), bytes32(data + words)), bytes32(0), "nothing past the key");
    }

    /// @dev Any length: 1..MAX_ZK_KEY_BYTES is stored exactly (and laid out as the node reads it), 0 and above are refused.
    function testFuzz_setZkKey_length(uint256 len, uint256 seed, uint64 at) public {
        len = bound(len, 0, 16_384 + 64);
        at = uint64(bound(at, 1, type(uint64).max - 1));
        _registerGeneric();
        vm.roll(at);
        bytes memory key = _zkKey(len, seed);
        vm.prank(owner);
        if (len == 0 || len > 16_384) {
            vm.expectRevert(abi.encodeWithSelector(ModelMarketplace.InvalidZkKey.selector, len));
            mkt.setZkKey(GENERIC, key);
            assertEq(mkt.verificationAt(GENERIC, type(uint64).max), 0);
            return;
        }
        mkt.setZkKey(GENERIC, key);
        assertEq(mkt.zkKey(GENERIC), key);
        assertEq(mkt.verificationAt(GENERIC, at), 0);
        assertEq(mkt.verificationAt(GENERIC, at + 1), 1);
        _assertZkLayout(GENERIC, key, at + 1);
    }
}
