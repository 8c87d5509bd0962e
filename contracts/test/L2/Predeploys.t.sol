// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {L2Base} from "./L2Base.t.sol";
import {L2ToL1MessagePasser} from "../../src/L2/L2ToL1MessagePasser.sol";
import {InferenceWitnessStore} from "../../src/L2/InferenceWitnessStore.sol";
import {FeeVault} from "../../src/L2/FeeVault.sol";
import {L2Bridge} from "../../src/L2/L2Bridge.sol";
import {Predeploys} from "../../src/libraries/Predeploys.sol";
import {Hashing} from "../../src/libraries/Hashing.sol";
import {Types} from "../../src/libraries/Types.sol";
import {Encoding} from "../../src/libraries/Encoding.sol";
import {AddressAliasHelper} from "../../src/libraries/AddressAliasHelper.sol";
import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {Initializable} from "@openzeppelin/contracts/proxy/utils/Initializable.sol";

contract Reverter {
    receive() external payable {
        revert("no");
    }
}

contract MessagePasserTest is L2Base {
    L2ToL1MessagePasser internal mp = L2ToL1MessagePasser(payable(Predeploys.L2_TO_L1_MESSAGE_PASSER));

    event MessagePassed(uint256 indexed nonce, address indexed sender, address indexed target, uint256 value, uint256 gasLimit, bytes data, bytes32 withdrawalHash);
    event WithdrawerBalanceBurnt(uint256 indexed amount);

    function test_initiateWithdrawal_hashSlotNonceEvent() public {
        address alice = makeAddr("alice");
        vm.deal(alice, 10 ether);
        uint256 nonce = mp.messageNonce();
        assertEq(nonce, uint256(1) << 240);
        bytes32 h = Hashing.hashWithdrawal(Types.WithdrawalTransaction(nonce, alice, address(0xB0B), 1 ether, 100_000, hex"beef"));
        assertEq(h, keccak256(abi.encode(nonce, alice, address(0xB0B), 1 ether, uint256(100_000), hex"beef")));
        vm.expectEmit(address(mp));
        emit MessagePassed(nonce, alice, address(0xB0B), 1 ether, 100_000, hex"beef", h);
        vm.prank(alice);
        mp.initiateWithdrawal{value: 1 ether}(address(0xB0B), 100_000, hex"beef");
        assertTrue(mp.sentMessages(h));
        // slot 0 mapping: the portal proves keccak256(abi.encode(hash, 0)) == 1
        assertEq(uint256(vm.load(address(mp), keccak256(abi.encode(h, uint256(0))))), 1);
        assertEq(mp.messageNonce(), nonce + 1);
        assertEq(uint256(vm.load(address(mp), bytes32(uint256(1)))), 1); // msgNonce at slot 1
        (uint240 n, uint16 v) = Encoding.decodeVersionedNonce(mp.messageNonce());
        assertEq(n, 1);
        assertEq(v, 1);
        assertEq(mp.MESSAGE_VERSION(), 1);
    }

    function test_receive_withdrawsToSender() public {
        address alice = makeAddr("alice");
        vm.deal(alice, 1 ether);
        uint256 nonce = mp.messageNonce();
        vm.prank(alice);
        (bool ok,) = address(mp).call{value: 1 ether}("");
        assertTrue(ok);
        assertTrue(mp.sentMessages(Hashing.hashWithdrawal(Types.WithdrawalTransaction(nonce, alice, alice, 1 ether, 100_000, ""))));
    }

    function test_burn() public {
        vm.deal(address(mp), 5 ether);
        vm.expectEmit(address(mp));
        emit WithdrawerBalanceBurnt(5 ether);
        mp.burn();
        assertEq(address(mp).balance, 0);
        assertEq(mp.version(), "1.1.0+bai");
    }

    function testFuzz_withdrawalsAreDistinct(address target, uint256 gasLimit, bytes calldata data, uint96 value) public {
        vm.assume(target != address(0));
        gasLimit = bound(gasLimit, 0, mp.MAX_GAS_LIMIT());
        vm.deal(address(this), uint256(value) * 2);
        uint256 n0 = mp.messageNonce();
        mp.initiateWithdrawal{value: value}(target, gasLimit, data);
        mp.initiateWithdrawal{value: value}(target, gasLimit, data);
        bytes32 h0 = Hashing.hashWithdrawal(Types.WithdrawalTransaction(n0, address(this), target, value, gasLimit, data));
        bytes32 h1 = Hashing.hashWithdrawal(Types.WithdrawalTransaction(n0 + 1, address(this), target, value, gasLimit, data));
        assertTrue(h0 != h1);
        assertTrue(mp.sentMessages(h0) && mp.sentMessages(h1));
    }

    function testFuzz_alias(address a) public pure {
        assertEq(AddressAliasHelper.undoL1ToL2Alias(AddressAliasHelper.applyL1ToL2Alias(a)), a);
        (uint240 n, uint16 v) = Encoding.decodeVersionedNonce(Encoding.encodeVersionedNonce(uint240(uint160(a)), 7));
        assertEq(n, uint240(uint160(a)));
        assertEq(v, 7);
    }
}

contract WitnessStoreTest is L2Base {
    InferenceWitnessStore internal ws = InferenceWitnessStore(Predeploys.INFERENCE_WITNESS_STORE);
    address internal depositor = Predeploys.DEPOSITOR_ACCOUNT;
    address internal operator = makeAddr("operator");

    event WitnessRecorded(bytes32 indexed callKey, address indexed operator, uint64 units, bytes32 outputHash);

    function test_record_getAndLayout() public {
        vm.prank(depositor);
        ws.setOperator(operator);
        assertEq(ws.operator(), operator);
        assertEq(address(uint160(uint256(vm.load(address(ws), bytes32(uint256(1)))))), operator);

        bytes32 key = ws.callKeyOf(keccak256("m"), bytes4(0x12345678), "hello", 16);
        assertEq(key, keccak256(abi.encode(keccak256("m"), bytes4(0x12345678), keccak256("hello"), uint32(16))));
        bytes memory out = bytes("a long output that spans more than thirty-one bytes for sure");
        vm.roll(42);
        vm.expectEmit(address(ws));
        emit WitnessRecorded(key, operator, 9, keccak256(out));
        vm.prank(depositor);
        ws.record(key, out, 9);

        (bool exists, bytes32 h, uint64 units, address op, uint64 bn) = ws.get(key);
        assertTrue(exists);
        assertEq(h, keccak256(out));
        assertEq(units, 9);
        assertEq(op, operator);
        assertEq(bn, 42);
        assertEq(ws.count(), 1);
        assertEq(uint256(vm.load(address(ws), bytes32(uint256(2)))), 1);

        // pinned layout read by the node
        bytes32 base = keccak256(abi.encode(key, uint256(0)));
        uint256 w0 = uint256(vm.load(address(ws), base));
        assertEq(uint64(w0), 9); // units, low 8 bytes
        assertEq(uint64(w0 >> 64), 42); // blockNumber, next 8 bytes
        assertEq(w0 >> 128, 0); // nothing else in the word
        assertEq(address(uint160(uint256(vm.load(address(ws), bytes32(uint256(base) + 1))))), operator);
        assertEq(vm.load(address(ws), bytes32(uint256(base) + 2)), keccak256(out)); // outputHash
        assertEq(vm.load(address(ws), bytes32(uint256(base) + 3)), bytes32(0)); // struct is 3 slots

        assertEq(
            ws.evidenceHash(key), keccak256(abi.encode(key, operator, uint64(9), keccak256(out), uint64(42)))
        );
        assertEq(ws.evidenceHash(bytes32(uint256(1))), bytes32(0));
        (exists,,,,) = ws.get(bytes32(uint256(1)));
        assertFalse(exists);
        assertEq(ws.version(), "2.1.0");
    }

    function test_rerecord_latestWins() public {
        bytes32 key = bytes32(uint256(7));
        vm.roll(5);
        vm.prank(depositor);
        ws.record(key, hex"abcd", 1);
        bytes32 first = ws.evidenceHash(key);

        address other = makeAddr("other");
        vm.prank(depositor);
        ws.setOperator(other);
        vm.roll(9);
        vm.expectEmit(address(ws));
        emit WitnessRecorded(key, other, 3, keccak256(hex"beef"));
        vm.prank(depositor);
        ws.record(key, hex"beef", 3);

        (bool exists, bytes32 h, uint64 units, address op, uint64 bn) = ws.get(key);
        assertTrue(exists);
        assertEq(h, keccak256(hex"beef"));
        assertEq(units, 3);
        assertEq(op, other);
        assertEq(bn, 9);
        assertEq(ws.count(), 2);
        assertTrue(ws.evidenceHash(key) != first);
        bytes32 base = keccak256(abi.encode(key, uint256(0)));
        assertEq(uint256(vm.load(address(ws), base)), (uint256(9) << 64) | 3);
    }

    function test_record_reverts() public {
        vm.expectRevert(InferenceWitnessStore.NotDepositor.selector);
        ws.record(bytes32(uint256(1)), "", 0);
        vm.expectRevert(InferenceWitnessStore.NotDepositor.selector);
        ws.setOperator(operator);
    }

    function test_recordBatch() public {
        bytes32[] memory keys = new bytes32[](2);
        bytes[] memory outs = new bytes[](2);
        uint64[] memory units = new uint64[](2);
        keys[0] = bytes32(uint256(1));
        keys[1] = bytes32(uint256(2));
        outs[0] = "a";
        outs[1] = "b";
        units[0] = 3;
        units[1] = 4;
        vm.roll(10);
        vm.prank(depositor);
        ws.recordBatch(keys, outs, units);
        assertEq(ws.count(), 2);
        (, bytes32 h, uint64 u,,) = ws.get(keys[1]);
        assertEq(h, keccak256("b"));
        assertEq(u, 4);
        // the same key twice in one batch: the later entry wins
        keys[1] = keys[0];
        vm.roll(11);
        vm.prank(depositor);
        ws.recordBatch(keys, outs, units);
        (, h, u,,) = ws.get(keys[0]);
        assertEq(h, keccak256("b"));
        assertEq(u, 4);
        assertEq(ws.count(), 4);
        uint64[] memory bad = new uint64[](1);
        vm.prank(depositor);
        vm.expectRevert(InferenceWitnessStore.LengthMismatch.selector);
        ws.recordBatch(keys, outs, bad);
        vm.expectRevert(InferenceWitnessStore.LengthMismatch.selector);
        vm.prank(depositor);
        ws.recordBatch(keys, new bytes[](1), units);
        vm.expectRevert(InferenceWitnessStore.NotDepositor.selector);
        ws.recordBatch(keys, outs, units);
    }

    /// @dev Exactly the calldata the node builds (recordBatch(bytes32[],bytes[],uint64[])) with compact outputs.
    function testFuzz_recordBatch_hashesOutputs(bytes32 key, bytes calldata output, uint64 units) public {
        vm.assume(key != bytes32(0));
        bytes32[] memory keys = new bytes32[](1);
        bytes[] memory outs = new bytes[](1);
        uint64[] memory us = new uint64[](1);
        keys[0] = key;
        outs[0] = output;
        us[0] = units;
        vm.roll(3);
        vm.prank(depositor);
        bytes4 sel = bytes4(keccak256("recordBatch(bytes32[],bytes[],uint64[])"));
        assertEq(sel, ws.recordBatch.selector);
        (bool ok,) = address(ws).call(abi.encodeWithSelector(sel, keys, outs, us));
        assertTrue(ok);
        bytes32 base = keccak256(abi.encode(key, uint256(0)));
        assertEq(vm.load(address(ws), bytes32(uint256(base) + 2)), keccak256(output));
        assertEq(uint256(vm.load(address(ws), base)), (uint256(3) << 64) | units);
    }
}

contract FeeVaultTest is L2Base {
    FeeVault internal vault = FeeVault(payable(Predeploys.SEQUENCER_FEE_VAULT));

    function test_genesisConfig() public view {
        assertEq(vault.owner(), admin);
        assertEq(vault.recipient(), feeRecipient);
        assertEq(vault.minWithdrawalAmount(), 0);
        assertEq(uint8(vault.withdrawalNetwork()), uint8(FeeVault.WithdrawalNetwork.L2));
        assertEq(FeeVault(payable(Predeploys.BASE_FEE_VAULT)).recipient(), feeRecipient);
        assertEq(FeeVault(payable(Predeploys.L1_FEE_VAULT)).recipient(), feeRecipient);
        assertEq(vault.WITHDRAWAL_MIN_GAS(), 400_000);
    }

    function test_withdrawL2() public {
        vm.deal(address(vault), 3 ether);
        vault.withdraw();
        assertEq(feeRecipient.balance, 3 ether);
        assertEq(vault.totalProcessed(), 3 ether);
    }

    function test_receive() public {
        vm.deal(address(this), 1 ether);
        (bool ok,) = address(vault).call{value: 1 ether}("");
        assertTrue(ok);
        assertEq(address(vault).balance, 1 ether);
    }

    function test_withdrawL1_viaMessagePasser() public {
        vm.prank(admin);
        vault.setConfig(feeRecipient, 1 ether, FeeVault.WithdrawalNetwork.L1);
        vm.deal(address(vault), 0.5 ether);
        vm.expectRevert(abi.encodeWithSelector(FeeVault.BelowMinimum.selector, 0.5 ether, 1 ether));
        vault.withdraw();
        vm.deal(address(vault), 2 ether);
        L2ToL1MessagePasser mp = L2ToL1MessagePasser(payable(Predeploys.L2_TO_L1_MESSAGE_PASSER));
        uint256 nonce = mp.messageNonce();
        vault.withdraw();
        assertEq(Predeploys.L2_TO_L1_MESSAGE_PASSER.balance, 2 ether);
        assertTrue(mp.sentMessages(Hashing.hashWithdrawal(Types.WithdrawalTransaction(nonce, address(vault), feeRecipient, 2 ether, 400_000, ""))));
    }

    function test_reverts() public {
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, address(this)));
        vault.setConfig(feeRecipient, 0, FeeVault.WithdrawalNetwork.L2);
        vm.prank(admin);
        vm.expectRevert(FeeVault.ZeroRecipient.selector);
        vault.setConfig(address(0), 0, FeeVault.WithdrawalNetwork.L2);
        vm.expectRevert(Initializable.InvalidInitialization.selector);
        vault.initialize(admin, feeRecipient, 0, FeeVault.WithdrawalNetwork.L2);
        Reverter r = new Reverter();
        vm.prank(admin);
        vault.setConfig(address(r), 0, FeeVault.WithdrawalNetwork.L2);
        vm.deal(address(vault), 1 ether);
        vm.expectRevert(FeeVault.TransferFailed.selector);
        vault.withdraw();
    }
}

contract L2BridgeTest is L2Base {
    L2Bridge internal bridge = L2Bridge(payable(Predeploys.L2_BRIDGE));
    L2ToL1MessagePasser internal mp = L2ToL1MessagePasser(payable(Predeploys.L2_TO_L1_MESSAGE_PASSER));

    function test_withdrawTo() public {
        vm.deal(address(this), 5 ether);
        uint256 nonce = mp.messageNonce();
        bridge.withdrawTo{value: 2 ether}(address(0xCAFE), 50_000, "x");
        assertTrue(mp.sentMessages(Hashing.hashWithdrawal(Types.WithdrawalTransaction(nonce, address(bridge), address(0xCAFE), 2 ether, 100_000, ""))));
        bridge.withdrawTo{value: 1 ether}(address(0xCAFE), 300_000, "");
        assertTrue(mp.sentMessages(Hashing.hashWithdrawal(Types.WithdrawalTransaction(nonce + 1, address(bridge), address(0xCAFE), 1 ether, 300_000, ""))));
        (bool ok,) = address(bridge).call{value: 1 ether}("");
        assertTrue(ok);
        assertEq(address(mp).balance, 4 ether);
        assertEq(bridge.version(), "1.0.0");
    }

    function test_reverts() public {
        vm.expectRevert(L2Bridge.ZeroValue.selector);
        bridge.withdrawTo(address(1), 0, "");
        vm.deal(address(this), 1 ether);
        vm.expectRevert(L2Bridge.ZeroRecipient.selector);
        bridge.withdrawTo{value: 1}(address(0), 0, "");
    }
}
