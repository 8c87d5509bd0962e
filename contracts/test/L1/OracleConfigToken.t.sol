// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {L1Base} from "./Portal.t.sol";
import {L2OutputOracle} from "../../src/L1/L2OutputOracle.sol";
import {SystemConfig} from "../../src/L1/SystemConfig.sol";
import {BaiToken} from "../../src/L1/BaiToken.sol";
import {Types} from "../../src/libraries/Types.sol";
import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";

contract OracleTest is L1Base {
    event OutputProposed(
        bytes32 indexed outputRoot, uint256 indexed l2OutputIndex, uint256 indexed l2BlockNumber, uint256 l1Timestamp
    );

    function test_getters() public view {
        assertEq(oracle.SUBMISSION_INTERVAL(), INTERVAL);
        assertEq(oracle.submissionInterval(), INTERVAL);
        assertEq(oracle.L2_BLOCK_TIME_MS(), 1000);
        assertEq(oracle.l2BlockTimeMs(), 1000);
        assertEq(oracle.PROPOSER(), proposer);
        assertEq(oracle.proposer(), proposer);
        assertEq(oracle.CHALLENGER(), challenger);
        assertEq(oracle.challenger(), challenger);
        assertEq(oracle.FINALIZATION_PERIOD_SECONDS(), FINALIZATION);
        assertEq(oracle.finalizationPeriodSeconds(), FINALIZATION);
        assertEq(oracle.startingBlockNumber(), 0);
        assertEq(oracle.startingTimestamp(), 1_000_000);
        assertEq(oracle.nextBlockNumber(), INTERVAL);
        assertEq(oracle.latestBlockNumber(), 0);
        assertEq(oracle.nextOutputIndex(), 0);
        assertEq(oracle.computeL2Timestamp(5), 1_000_005);
        assertEq(oracle.version(), "1.8.0");
    }

    function test_proposeAndLookup() public {
        vm.warp(1_000_000 + 100);
        vm.expectEmit(address(oracle));
        emit OutputProposed(keccak256("a"), 0, 10, block.timestamp);
        vm.prank(proposer);
        oracle.proposeL2Output(keccak256("a"), 10, bytes32(0), 0);
        vm.roll(5);
        bytes32 bh = blockhash(4);
        vm.prank(proposer);
        oracle.proposeL2Output(keccak256("b"), 20, bh, 4);
        assertEq(oracle.latestOutputIndex(), 1);
        assertEq(oracle.latestBlockNumber(), 20);
        assertEq(oracle.getL2OutputIndexAfter(1), 0);
        assertEq(oracle.getL2OutputIndexAfter(10), 0);
        assertEq(oracle.getL2OutputIndexAfter(11), 1);
        assertEq(oracle.getL2OutputAfter(15).outputRoot, keccak256("b"));
        Types.OutputProposal memory o = oracle.getL2Output(0);
        assertEq(o.outputRoot, keccak256("a"));
        assertEq(o.l2BlockNumber, 10);
        vm.expectRevert("L2OutputOracle: cannot get output for a block that has not been proposed");
        oracle.getL2OutputIndexAfter(21);
    }

    function test_proposeReverts() public {
        vm.warp(1_000_000 + 100);
        vm.expectRevert(L2OutputOracle.NotProposer.selector);
        oracle.proposeL2Output(keccak256("a"), 10, bytes32(0), 0);
        vm.startPrank(proposer);
        vm.deal(proposer, 1);
        vm.expectRevert("L2OutputOracle: value must be zero");
        oracle.proposeL2Output{value: 1}(keccak256("a"), 10, bytes32(0), 0);
        vm.expectRevert("L2OutputOracle: block number must be equal to next expected block number");
        oracle.proposeL2Output(keccak256("a"), 11, bytes32(0), 0);
        vm.expectRevert("L2OutputOracle: L2 output proposal cannot be the zero hash");
        oracle.proposeL2Output(bytes32(0), 10, bytes32(0), 0);
        vm.expectRevert("L2OutputOracle: block hash does not match the hash at the expected height");
        oracle.proposeL2Output(keccak256("a"), 10, keccak256("x"), 0);
        vm.warp(1_000_000 + 5);
        vm.expectRevert("L2OutputOracle: cannot propose L2 output in the future");
        oracle.proposeL2Output(keccak256("a"), 10, bytes32(0), 0);
        vm.stopPrank();
        vm.expectRevert("L2OutputOracle: cannot get output as no outputs have been proposed yet");
        oracle.getL2OutputIndexAfter(0);
    }

    function test_delete() public {
        _propose(keccak256("a"));
        _propose(keccak256("b"));
        vm.expectRevert(L2OutputOracle.NotChallenger.selector);
        oracle.deleteL2Outputs(0);
        vm.startPrank(challenger);
        vm.expectRevert("L2OutputOracle: cannot delete outputs after the latest output index");
        oracle.deleteL2Outputs(2);
        oracle.deleteL2Outputs(1);
        assertEq(oracle.nextOutputIndex(), 1);
        vm.warp(block.timestamp + FINALIZATION);
        vm.expectRevert("L2OutputOracle: cannot delete outputs that have already been finalized");
        oracle.deleteL2Outputs(0);
        vm.stopPrank();
    }

    function test_constructorReverts() public {
        vm.expectRevert(L2OutputOracle.InvalidParams.selector);
        new L2OutputOracle(0, 1000, 0, 0, proposer, challenger, 1);
        vm.expectRevert(L2OutputOracle.InvalidParams.selector);
        new L2OutputOracle(1, 1000, 0, block.timestamp + 1, proposer, challenger, 1);
    }

    /// @notice OP Stack tooling (viem's withdrawal actions) reads `L2_BLOCK_TIME()` in seconds: whole seconds,
    ///         rounded up, never 0 for a sub-second chain.
    function test_l2BlockTimeInSecondsForOpTooling() public {
        uint256[4] memory ms = [uint256(200), 1000, 1001, 2500];
        uint256[4] memory secs = [uint256(1), 1, 2, 3];
        for (uint256 i; i < ms.length; ++i) {
            L2OutputOracle o =
                new L2OutputOracle(INTERVAL, ms[i], 0, block.timestamp, proposer, challenger, FINALIZATION);
            assertEq(o.L2_BLOCK_TIME(), secs[i]);
            assertEq(o.l2BlockTime(), secs[i]);
        }
    }

    /// @notice A zero block time (ms) is rejected; 1 ms is the smallest accepted value.
    function test_constructorRejectsZeroBlockTimeMs() public {
        vm.expectRevert(L2OutputOracle.InvalidParams.selector);
        new L2OutputOracle(INTERVAL, 0, 0, block.timestamp, proposer, challenger, FINALIZATION);
        L2OutputOracle o = new L2OutputOracle(INTERVAL, 1, 0, block.timestamp, proposer, challenger, FINALIZATION);
        assertEq(o.l2BlockTimeMs(), 1);
    }

    /// @notice 200 ms blocks: five blocks per L2 second, timestamps floored to whole seconds.
    function test_computeL2Timestamp_200ms() public {
        uint256 start = 1000;
        uint256 ts = block.timestamp;
        L2OutputOracle o = new L2OutputOracle(INTERVAL, 200, start, ts, proposer, challenger, FINALIZATION);
        assertEq(o.L2_BLOCK_TIME_MS(), 200);
        assertEq(o.l2BlockTimeMs(), 200);
        assertEq(o.computeL2Timestamp(start), ts);
        assertEq(o.computeL2Timestamp(start + 4), ts); // 0.8 s
        assertEq(o.computeL2Timestamp(start + 5), ts + 1);
        assertEq(o.computeL2Timestamp(start + 9), ts + 1); // 1.8 s
        assertEq(o.computeL2Timestamp(start + 10), ts + 2);
        assertEq(o.computeL2Timestamp(start + 7_200_000), ts + 1_440_000); // 400 h of 200 ms blocks
        vm.expectRevert(); // before the starting block: underflow
        o.computeL2Timestamp(start - 1);
    }

    /// @notice Block `start + 5k` (k seconds of L2 at 200 ms) is proposable once L1 time passes `startingTimestamp + k`.
    function test_propose_200ms_acceptedOnceL1TimePassesL2Time() public {
        uint256 k = 3;
        uint256 start = 50;
        uint256 ts = block.timestamp;
        L2OutputOracle o = new L2OutputOracle(5 * k, 200, start, ts, proposer, challenger, FINALIZATION);
        assertEq(o.nextBlockNumber(), start + 5 * k);
        assertEq(o.computeL2Timestamp(start + 5 * k), ts + k);
        vm.startPrank(proposer);
        for (uint256 t = ts; t <= ts + k; t++) {
            vm.warp(t);
            vm.expectRevert("L2OutputOracle: cannot propose L2 output in the future");
            o.proposeL2Output(keccak256("a"), start + 5 * k, bytes32(0), 0);
        }
        vm.warp(ts + k + 1);
        o.proposeL2Output(keccak256("a"), start + 5 * k, bytes32(0), 0);
        assertEq(o.latestBlockNumber(), start + 5 * k);
        // The next output (another k seconds of L2) follows the same rule.
        vm.warp(ts + 2 * k);
        vm.expectRevert("L2OutputOracle: cannot propose L2 output in the future");
        o.proposeL2Output(keccak256("b"), start + 10 * k, bytes32(0), 0);
        vm.warp(ts + 2 * k + 1);
        o.proposeL2Output(keccak256("b"), start + 10 * k, bytes32(0), 0);
        vm.stopPrank();
        assertEq(o.nextOutputIndex(), 2);
    }

    /// @notice An interval that is not a whole number of seconds: block 7 at 200 ms is at 1.4 s, floored to 1 s.
    function test_propose_200ms_fractionalInterval() public {
        uint256 ts = block.timestamp;
        L2OutputOracle o = new L2OutputOracle(7, 200, 0, ts, proposer, challenger, FINALIZATION);
        assertEq(o.computeL2Timestamp(7), ts + 1);
        vm.startPrank(proposer);
        vm.warp(ts + 1);
        vm.expectRevert("L2OutputOracle: cannot propose L2 output in the future");
        o.proposeL2Output(keccak256("a"), 7, bytes32(0), 0);
        vm.warp(ts + 2);
        o.proposeL2Output(keccak256("a"), 7, bytes32(0), 0);
        vm.stopPrank();
    }

    /// @notice computeL2Timestamp equals the floor formula and never decreases as the block number grows.
    function testFuzz_computeL2Timestamp_floorAndMonotonic(
        uint256 blockTimeMs,
        uint256 start,
        uint256 ts,
        uint256 a,
        uint256 b
    ) public {
        blockTimeMs = bound(blockTimeMs, 1, 1_000_000);
        start = bound(start, 0, type(uint64).max);
        ts = bound(ts, 0, block.timestamp);
        a = bound(a, start, start + type(uint64).max);
        b = bound(b, a, start + type(uint64).max);
        L2OutputOracle o = new L2OutputOracle(INTERVAL, blockTimeMs, start, ts, proposer, challenger, FINALIZATION);
        uint256 ta = o.computeL2Timestamp(a);
        uint256 tb = o.computeL2Timestamp(b);
        assertEq(ta, ts + ((a - start) * blockTimeMs) / 1000);
        assertEq(tb, ts + ((b - start) * blockTimeMs) / 1000);
        assertLe(ta, tb);
        assertLe(o.computeL2Timestamp(a), o.computeL2Timestamp(a + 1));
    }
}

contract SystemConfigTest is L1Base {
    event ConfigUpdate(uint256 indexed version, SystemConfig.UpdateType indexed updateType, bytes data);

    function test_initialAndSetters() public {
        assertEq(sysConfig.batcher(), makeAddr("batcher"));
        assertEq(sysConfig.gasLimit(), 30_000_000);
        assertEq(sysConfig.basefeeScalar(), 1368);
        assertEq(sysConfig.blobbasefeeScalar(), 810_949);
        assertEq(sysConfig.scalar(), (uint256(1) << 248) | (uint256(810_949) << 32) | 1368);
        assertEq(sysConfig.batchInbox(), address(0xFf00000000000000000000000000000000000BA1));
        assertEq(sysConfig.optimismPortal(), address(portal));
        assertEq(sysConfig.l2OutputOracle(), address(oracle));
        assertEq(sysConfig.gasPayingToken(), address(token));
        assertEq(sysConfig.minimumGasLimit(), 21_000_000);
        assertEq(sysConfig.maximumGasLimit(), 500_000_000);
        assertEq(sysConfig.version(), "2.3.0");
        address o = sysConfig.owner();
        vm.startPrank(o);
        vm.expectEmit(address(sysConfig));
        emit ConfigUpdate(0, SystemConfig.UpdateType.BATCHER, abi.encode(bytes32(uint256(0xbeef))));
        sysConfig.setBatcherHash(bytes32(uint256(0xbeef)));
        vm.expectEmit(address(sysConfig));
        emit ConfigUpdate(0, SystemConfig.UpdateType.GAS_LIMIT, abi.encode(uint64(60_000_000)));
        sysConfig.setGasLimit(60_000_000);
        vm.expectRevert(abi.encodeWithSelector(SystemConfig.InvalidGasLimit.selector, uint64(1)));
        sysConfig.setGasLimit(1);
        sysConfig.setGasConfigEcotone(1, 2);
        assertEq(sysConfig.scalar(), (uint256(1) << 248) | (uint256(2) << 32) | 1);
        vm.expectEmit(address(sysConfig));
        emit ConfigUpdate(0, SystemConfig.UpdateType.OPERATOR_FEE_PARAMS, abi.encode((uint256(3) << 64) | 4));
        sysConfig.setOperatorFeeScalars(3, 4);
        sysConfig.setUnsafeBlockSigner(address(5));
        assertEq(sysConfig.unsafeBlockSigner(), address(5));
        vm.expectRevert(SystemConfig.AlreadySet.selector);
        sysConfig.setAddresses(address(1), address(1), address(1));
        vm.stopPrank();
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, address(this)));
        sysConfig.setGasLimit(60_000_000);
    }

    function test_constructorAndAddressReverts() public {
        vm.expectRevert(SystemConfig.ZeroAddress.selector);
        new SystemConfig(address(this), address(1), 30_000_000, 1, 1, address(0), address(0));
        SystemConfig s = new SystemConfig(address(this), address(1), 30_000_000, 1, 1, address(2), address(0));
        vm.expectRevert(SystemConfig.ZeroAddress.selector);
        s.setAddresses(address(0), address(1), address(1));
    }
}

contract BaiTokenTest is L1Base {
    function test_supplyMetadataVotesPermit() public {
        assertEq(token.name(), "Balance AI");
        assertEq(token.symbol(), "BAI");
        assertEq(token.decimals(), 18);
        assertEq(token.totalSupply(), 1_000_000_000 ether);
        assertEq(token.balanceOf(treasury), 1_000_000_000 ether);
        vm.prank(treasury);
        token.delegate(treasury);
        vm.roll(block.number + 1);
        assertEq(token.getVotes(treasury), 1_000_000_000 ether);
        (address owner, uint256 pk) = makeAddrAndKey("permitOwner");
        vm.prank(treasury);
        token.transfer(owner, 5 ether);
        bytes32 digest = keccak256(
            abi.encodePacked(
                "\x19\x01",
                token.DOMAIN_SEPARATOR(),
                keccak256(
                    abi.encode(
                        keccak256("Permit(address owner,address spender,uint256 value,uint256 nonce,uint256 deadline)"),
                        owner,
                        address(this),
                        5 ether,
                        token.nonces(owner),
                        block.timestamp
                    )
                )
            )
        );
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(pk, digest);
        token.permit(owner, address(this), 5 ether, block.timestamp, v, r, s);
        assertEq(token.allowance(owner, address(this)), 5 ether);
        assertEq(token.nonces(owner), 1);
    }

    function test_zeroTreasury() public {
        vm.expectRevert(BaiToken.ZeroTreasury.selector);
        new BaiToken(address(0), 1);
    }
}
