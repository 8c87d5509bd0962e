// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {Test} from "forge-std/Test.sol";
import {stdJson} from "forge-std/StdJson.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {TrieProof} from "@openzeppelin/contracts/utils/cryptography/TrieProof.sol";
import {RLP} from "@openzeppelin/contracts/utils/RLP.sol";
import {Memory} from "@openzeppelin/contracts/utils/Memory.sol";
import {BaiToken} from "../../src/L1/BaiToken.sol";
import {L2OutputOracle} from "../../src/L1/L2OutputOracle.sol";
import {BaiPortal} from "../../src/L1/BaiPortal.sol";
import {SystemConfig} from "../../src/L1/SystemConfig.sol";
import {Types} from "../../src/libraries/Types.sol";
import {Hashing} from "../../src/libraries/Hashing.sol";
import {AddressAliasHelper} from "../../src/libraries/AddressAliasHelper.sol";
import {DeployL1} from "../../script/DeployL1.s.sol";

/// @notice Target of finalized withdrawals in tests.
contract WithdrawalTarget {
    address public lastL2Sender;
    bytes public lastData;
    bool public fail;

    function setFail(bool f) external {
        fail = f;
    }

    fallback() external payable {
        require(!fail, "target failed");
        lastL2Sender = BaiPortal(msg.sender).l2Sender();
        lastData = msg.data;
    }
}

contract Depositor {
    function go(BaiPortal portal) external {
        portal.depositTransaction(address(1), 0, 100_000, false, "");
    }
}

abstract contract L1Base is Test {
    using stdJson for string;

    BaiToken internal token;
    L2OutputOracle internal oracle;
    BaiPortal internal portal;
    SystemConfig internal sysConfig;
    address internal proposer = makeAddr("proposer");
    address internal challenger = makeAddr("challenger");
    address internal guardian = makeAddr("guardian");
    address internal treasury = makeAddr("treasury");
    uint256 internal constant INTERVAL = 10;
    uint256 internal constant FINALIZATION = 7 days;

    function setUp() public virtual {
        vm.warp(1_000_000);
        DeployL1 d = new DeployL1();
        DeployL1.Config memory c = DeployL1.Config({
            treasury: treasury,
            totalSupply: 1_000_000_000 ether,
            proposer: proposer,
            challenger: challenger,
            guardian: guardian,
            batcher: makeAddr("batcher"),
            batchInbox: address(0xFf00000000000000000000000000000000000BA1),
            unsafeBlockSigner: address(0),
            submissionInterval: INTERVAL,
            l2BlockTimeMs: 1000,
            finalizationPeriod: FINALIZATION,
            startingBlockNumber: 0,
            startingTimestamp: block.timestamp,
            l2GasLimit: 30_000_000,
            basefeeScalar: 1368,
            blobbasefeeScalar: 810_949
        });
        DeployL1.Deployment memory dep = d.deploy(c, address(d));
        token = dep.token;
        oracle = dep.oracle;
        portal = dep.portal;
        sysConfig = dep.systemConfig;
    }

    function _propose(bytes32 root) internal returns (uint256 index) {
        uint256 next = oracle.nextBlockNumber();
        if (oracle.computeL2Timestamp(next) >= block.timestamp) vm.warp(oracle.computeL2Timestamp(next) + 1);
        index = oracle.nextOutputIndex();
        vm.prank(proposer);
        oracle.proposeL2Output(root, next, bytes32(0), 0);
    }
}

contract PortalProofTest is L1Base {
    using stdJson for string;

    Types.WithdrawalTransaction internal wtx;
    Types.OutputRootProof internal orp;
    bytes[] internal proof;
    bytes32 internal whash;

    function setUp() public override {
        super.setUp();
        string memory j = vm.readFile(string.concat(vm.projectRoot(), "/test/fixtures/withdrawal-proof.json"));
        wtx = Types.WithdrawalTransaction({
            nonce: j.readUint(".withdrawal.nonce"),
            sender: j.readAddress(".withdrawal.sender"),
            target: j.readAddress(".withdrawal.target"),
            value: j.readUint(".withdrawal.value"),
            gasLimit: j.readUint(".withdrawal.gasLimit"),
            data: j.readBytes(".withdrawal.data")
        });
        whash = j.readBytes32(".withdrawalHash");
        orp = Types.OutputRootProof({
            version: bytes32(0),
            stateRoot: j.readBytes32(".stateRoot"),
            messagePasserStorageRoot: j.readBytes32(".storageRoot"),
            latestBlockhash: j.readBytes32(".blockHash")
        });
        bytes[] memory p = j.readBytesArray(".storageProof");
        for (uint256 i = 0; i < p.length; ++i) {
            proof.push(p[i]);
        }
        // the portal holds the BAI that was locked by deposits
        vm.prank(treasury);
        token.transfer(address(portal), 100 ether);
    }

    function test_fixtureIsConsistent() public view {
        assertEq(Hashing.hashWithdrawal(wtx), whash);
    }

    function test_fixtureAccountProofLinksStorageRootToStateRoot() public {
        string memory j = vm.readFile(string.concat(vm.projectRoot(), "/test/fixtures/withdrawal-proof.json"));
        bytes[] memory acct = j.readBytesArray(".accountProof");
        bytes memory key =
            abi.encodePacked(keccak256(abi.encodePacked(address(0x4200000000000000000000000000000000000016))));
        bytes memory account = TrieProof.traverse(orp.stateRoot, key, acct);
        Memory.Slice[] memory fields = RLP.decodeList(account);
        assertEq(RLP.readBytes32(fields[2]), orp.messagePasserStorageRoot);
    }

    function test_proveAndFinalize_realProof() public {
        uint256 idx = _propose(Hashing.hashOutputRootProof(orp));
        portal.proveWithdrawalTransaction(wtx, idx, orp, proof);
        (bytes32 root, uint128 ts, uint128 i) = portal.provenWithdrawals(whash);
        assertEq(root, Hashing.hashOutputRootProof(orp));
        assertEq(ts, block.timestamp);
        assertEq(i, idx);

        // already proven
        vm.expectRevert("OptimismPortal: withdrawal hash has already been proven");
        portal.proveWithdrawalTransaction(wtx, idx, orp, proof);

        // too early
        vm.expectRevert("OptimismPortal: proven withdrawal finalization period has not elapsed");
        portal.finalizeWithdrawalTransaction(wtx);

        vm.warp(block.timestamp + FINALIZATION + 1);
        WithdrawalTarget t = new WithdrawalTarget();
        vm.etch(wtx.target, address(t).code);
        uint256 before = token.balanceOf(wtx.target);
        portal.finalizeWithdrawalTransaction(wtx);
        assertTrue(portal.finalizedWithdrawals(whash));
        assertEq(token.balanceOf(wtx.target) - before, wtx.value);
        assertEq(WithdrawalTarget(payable(wtx.target)).lastL2Sender(), wtx.sender);
        assertEq(WithdrawalTarget(payable(wtx.target)).lastData(), wtx.data);
        assertEq(portal.l2Sender(), address(0xdEaD));
        assertEq(portal.totalWithdrawn(), wtx.value);

        vm.expectRevert("OptimismPortal: withdrawal has already been finalized");
        portal.finalizeWithdrawalTransaction(wtx);
    }

    function test_prove_tamperedProofNode() public {
        uint256 idx = _propose(Hashing.hashOutputRootProof(orp));
        bytes[] memory bad = proof;
        bytes memory leaf = bad[bad.length - 1];
        leaf[leaf.length - 1] = 0x02; // change the stored value 1 -> 2
        vm.expectRevert();
        portal.proveWithdrawalTransaction(wtx, idx, orp, bad);
    }

    function test_prove_tamperedBranchNode() public {
        uint256 idx = _propose(Hashing.hashOutputRootProof(orp));
        bytes[] memory bad = proof;
        bad[0][40] = bytes1(uint8(bad[0][40]) ^ 0xff);
        vm.expectRevert("OptimismPortal: invalid withdrawal inclusion proof");
        portal.proveWithdrawalTransaction(wtx, idx, orp, bad);
    }

    function test_prove_wrongSlot() public {
        // a different withdrawal (other nonce) maps to another slot: the proof does not cover it
        uint256 idx = _propose(Hashing.hashOutputRootProof(orp));
        Types.WithdrawalTransaction memory other = wtx;
        other.nonce += 1;
        vm.expectRevert(); // path diverges into an empty branch slot: TrieProof fails decoding it
        portal.proveWithdrawalTransaction(other, idx, orp, proof);
        other = wtx;
        other.value += 1;
        vm.expectRevert();
        portal.proveWithdrawalTransaction(other, idx, orp, proof);
    }

    function test_prove_wrongOutputRoot() public {
        uint256 idx = _propose(keccak256("not this output"));
        vm.expectRevert("OptimismPortal: invalid output root proof");
        portal.proveWithdrawalTransaction(wtx, idx, orp, proof);
        // output root that matches a different storage root
        Types.OutputRootProof memory o2 = orp;
        o2.messagePasserStorageRoot = keccak256("x");
        uint256 idx2 = _propose(Hashing.hashOutputRootProof(o2));
        vm.expectRevert("OptimismPortal: invalid withdrawal inclusion proof");
        portal.proveWithdrawalTransaction(wtx, idx2, o2, proof);
    }

    function test_deletedOutput_blocksFinalize_allowsReprove() public {
        uint256 idx = _propose(Hashing.hashOutputRootProof(orp));
        portal.proveWithdrawalTransaction(wtx, idx, orp, proof);
        vm.prank(challenger);
        oracle.deleteL2Outputs(idx);
        uint256 idx2 = _propose(Hashing.hashOutputRootProof(orp));
        assertEq(idx2, idx);
        // the proven root equals the re-proposed one, so it is still considered proven
        vm.expectRevert("OptimismPortal: withdrawal hash has already been proven");
        portal.proveWithdrawalTransaction(wtx, idx2, orp, proof);
        vm.prank(challenger);
        oracle.deleteL2Outputs(idx);
        _propose(keccak256("other"));
        vm.warp(block.timestamp + FINALIZATION + 1);
        vm.expectRevert("OptimismPortal: output root proven is not the same as current output root");
        portal.finalizeWithdrawalTransaction(wtx);
    }

    function test_pausedAndGuards() public {
        uint256 idx = _propose(Hashing.hashOutputRootProof(orp));
        vm.expectRevert(BaiPortal.NotGuardian.selector);
        portal.pause();
        vm.prank(guardian);
        portal.pause();
        vm.expectRevert(BaiPortal.Paused.selector);
        portal.proveWithdrawalTransaction(wtx, idx, orp, proof);
        vm.expectRevert(BaiPortal.Paused.selector);
        portal.finalizeWithdrawalTransaction(wtx);
        vm.expectRevert(BaiPortal.NotGuardian.selector);
        portal.unpause();
        vm.startPrank(guardian);
        portal.unpause();
        vm.expectRevert(BaiPortal.NotPaused.selector);
        portal.unpause();
        vm.stopPrank();
        vm.expectRevert("OptimismPortal: withdrawal has not been proven yet");
        portal.finalizeWithdrawalTransaction(wtx);
        Types.WithdrawalTransaction memory bad = wtx;
        bad.target = address(portal);
        vm.expectRevert("OptimismPortal: you cannot send messages to the portal contract");
        portal.proveWithdrawalTransaction(bad, idx, orp, proof);
        bad.target = address(token);
        vm.expectRevert("OptimismPortal: cannot send messages to the gas paying token");
        portal.proveWithdrawalTransaction(bad, idx, orp, proof);
    }

    function test_finalize_failingTargetStillFinal() public {
        uint256 idx = _propose(Hashing.hashOutputRootProof(orp));
        portal.proveWithdrawalTransaction(wtx, idx, orp, proof);
        vm.warp(block.timestamp + FINALIZATION + 1);
        WithdrawalTarget t = new WithdrawalTarget();
        vm.etch(wtx.target, address(t).code);
        WithdrawalTarget(payable(wtx.target)).setFail(true);
        portal.finalizeWithdrawalTransaction(wtx);
        assertTrue(portal.finalizedWithdrawals(whash));
        assertEq(token.balanceOf(wtx.target), wtx.value);
    }

    function test_finalize_insufficientGas() public {
        uint256 idx = _propose(Hashing.hashOutputRootProof(orp));
        portal.proveWithdrawalTransaction(wtx, idx, orp, proof);
        vm.warp(block.timestamp + FINALIZATION + 1);
        (bool ok,) = address(portal).call{gas: 200_000}(abi.encodeCall(BaiPortal.finalizeWithdrawalTransaction, (wtx)));
        assertFalse(ok);
        assertFalse(portal.finalizedWithdrawals(whash));
    }
}

contract PortalDepositTest is L1Base {
    event TransactionDeposited(address indexed from, address indexed to, uint256 indexed version, bytes opaqueData);

    function test_metadata() public view {
        assertEq(portal.version(), "2.8.0");
        assertEq(address(portal.l2Oracle()), address(oracle));
        assertEq(portal.systemConfig(), address(sysConfig));
        assertEq(portal.guardian(), guardian);
        (address t, uint8 dec) = portal.gasPayingToken();
        assertEq(t, address(token));
        assertEq(dec, 18);
        assertEq(portal.minimumGasLimit(10), 21_160);
        assertFalse(portal.paused());
        assertFalse(portal.isOutputFinalized(block.timestamp));
    }

    function test_depositERC20_locksAndEmits() public {
        address alice = makeAddr("alice");
        vm.prank(treasury);
        token.transfer(alice, 10 ether);
        vm.startPrank(alice, alice);
        token.approve(address(portal), 10 ether);
        vm.expectEmit(address(portal));
        emit TransactionDeposited(
            alice, alice, 0, abi.encodePacked(uint256(10 ether), uint256(1 ether), uint64(100_000), false, hex"1234")
        );
        portal.depositERC20Transaction(alice, 10 ether, 1 ether, 100_000, false, hex"1234");
        vm.stopPrank();
        assertEq(token.balanceOf(address(portal)), 10 ether);
        assertEq(portal.totalMinted(), 10 ether);
    }

    function test_depositTransaction_plainCallAndAlias() public {
        vm.expectEmit(address(portal));
        emit TransactionDeposited(
            AddressAliasHelper.applyL1ToL2Alias(address(this)),
            address(7),
            0,
            abi.encodePacked(uint256(0), uint256(5), uint64(50_000), false, hex"")
        );
        portal.depositTransaction(address(7), 5, 50_000, false, "");
        Depositor d = new Depositor();
        vm.expectEmit(address(portal));
        emit TransactionDeposited(
            AddressAliasHelper.applyL1ToL2Alias(address(d)),
            address(1),
            0,
            abi.encodePacked(uint256(0), uint256(0), uint64(100_000), false, hex"")
        );
        d.go(portal);
    }

    function test_eip7702DelegatedEoaNotAliased() public {
        address eoa = makeAddr("eoa7702");
        vm.etch(eoa, abi.encodePacked(bytes3(0xef0100), address(0x1234567890123456789012345678901234567890)));
        vm.prank(eoa, makeAddr("relayer"));
        vm.expectEmit(address(portal));
        emit TransactionDeposited(
            eoa, address(1), 0, abi.encodePacked(uint256(0), uint256(0), uint64(100_000), false, hex"")
        );
        portal.depositTransaction(address(1), 0, 100_000, false, "");
    }

    function test_depositReverts() public {
        vm.deal(address(this), 1 ether);
        vm.expectRevert(BaiPortal.NoValue.selector);
        portal.depositTransaction{value: 1}(address(1), 0, 100_000, false, "");
        vm.expectRevert(BaiPortal.BadTarget.selector);
        portal.depositTransaction(address(1), 0, 100_000, true, "");
        vm.expectRevert(BaiPortal.SmallGasLimit.selector);
        portal.depositTransaction(address(1), 0, 20_000, false, "");
        vm.expectRevert(BaiPortal.LargeGasLimit.selector);
        portal.depositTransaction(address(1), 0, 20_000_001, false, "");
        vm.expectRevert(BaiPortal.LargeCalldata.selector);
        portal.depositTransaction(address(1), 0, 19_000_000, false, new bytes(120_001));
        vm.expectRevert();
        portal.depositERC20Transaction(address(1), 1 ether, 0, 100_000, false, "");
    }

    function testFuzz_depositOpaqueData(uint256 mint, uint256 value, uint64 gasLimit, bytes calldata data) public {
        vm.assume(data.length <= 1000);
        gasLimit = uint64(bound(gasLimit, portal.minimumGasLimit(uint64(data.length)), 20_000_000));
        mint = bound(mint, 0, 1000 ether);
        vm.prank(treasury);
        token.approve(address(portal), mint);
        vm.expectEmit(address(portal));
        emit TransactionDeposited(treasury, address(9), 0, abi.encodePacked(mint, value, gasLimit, false, data));
        vm.prank(treasury, treasury);
        portal.depositERC20Transaction(address(9), mint, value, gasLimit, false, data);
        assertEq(token.balanceOf(address(portal)), mint);
    }

    function test_constructorReverts() public {
        vm.expectRevert(BaiPortal.ZeroAddress.selector);
        new BaiPortal(L2OutputOracle(address(0)), address(0), IERC20(address(token)), guardian);
    }
}
