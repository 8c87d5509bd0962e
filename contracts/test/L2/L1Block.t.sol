// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {L2Base} from "./L2Base.t.sol";
import {L1Block} from "../../src/L2/L1Block.sol";
import {GasPriceOracle} from "../../src/L2/GasPriceOracle.sol";
import {Predeploys} from "../../src/libraries/Predeploys.sol";

contract L1BlockTest is L2Base {
    L1Block internal l1b = L1Block(Predeploys.L1_BLOCK_ATTRIBUTES);
    GasPriceOracle internal gpo = GasPriceOracle(Predeploys.GAS_PRICE_ORACLE);
    address internal depositor = Predeploys.DEPOSITOR_ACCOUNT;

    function _ecotone(
        uint32 baseFeeScalar,
        uint32 blobBaseFeeScalar,
        uint64 seq,
        uint64 ts,
        uint64 num,
        uint256 basefee,
        uint256 blobBaseFee,
        bytes32 h,
        bytes32 batcher
    ) internal pure returns (bytes memory) {
        return abi.encodePacked(
            bytes4(0x440a5e20), baseFeeScalar, blobBaseFeeScalar, seq, ts, num, basefee, blobBaseFee, h, batcher
        );
    }

    function test_selectors() public pure {
        assertEq(L1Block.setL1BlockValuesEcotone.selector, bytes4(0x440a5e20));
        assertEq(L1Block.setL1BlockValuesIsthmus.selector, bytes4(0x098999be));
    }

    function test_ecotone_setsValuesAndLayout() public {
        bytes memory cd = _ecotone(1368, 810_949, 7, 1_700_000_000, 12_345, 30 gwei, 2 wei, keccak256("h"), bytes32(uint256(0xba7c4e7)));
        assertEq(cd.length, 164);
        vm.prank(depositor);
        (bool ok,) = address(l1b).call(cd);
        assertTrue(ok);
        assertEq(l1b.number(), 12_345);
        assertEq(l1b.timestamp(), 1_700_000_000);
        assertEq(l1b.basefee(), 30 gwei);
        assertEq(l1b.hash(), keccak256("h"));
        assertEq(l1b.sequenceNumber(), 7);
        assertEq(l1b.blobBaseFeeScalar(), 810_949);
        assertEq(l1b.baseFeeScalar(), 1368);
        assertEq(l1b.batcherHash(), bytes32(uint256(0xba7c4e7)));
        assertEq(l1b.blobBaseFee(), 2);

        // pinned layout (op-revm reads these slots)
        address a = address(l1b);
        assertEq(uint256(vm.load(a, bytes32(uint256(0)))), (uint256(1_700_000_000) << 64) | 12_345);
        assertEq(uint256(vm.load(a, bytes32(uint256(1)))), 30 gwei);
        assertEq(vm.load(a, bytes32(uint256(2))), keccak256("h"));
        assertEq(uint256(vm.load(a, bytes32(uint256(3)))), (uint256(1368) << 96) | (uint256(810_949) << 64) | 7);
        assertEq(uint256(vm.load(a, bytes32(uint256(4)))), 0xba7c4e7);
        assertEq(uint256(vm.load(a, bytes32(uint256(7)))), 2);
        // op-revm byte offsets in the big-endian slot word: baseFeeScalar at [16..20), blobBaseFeeScalar at [20..24)
        bytes32 s3 = vm.load(a, bytes32(uint256(3)));
        assertEq(uint32(bytes4(s3 << (16 * 8))), 1368);
        assertEq(uint32(bytes4(s3 << (20 * 8))), 810_949);
    }

    function test_isthmus_setsOperatorFee() public {
        bytes memory cd = abi.encodePacked(
            bytes4(0x098999be), uint32(1), uint32(2), uint64(3), uint64(4), uint64(5), uint256(6), uint256(7),
            bytes32(uint256(8)), bytes32(uint256(9)), uint32(10_000), uint64(55)
        );
        assertEq(cd.length, 176);
        vm.prank(depositor);
        (bool ok,) = address(l1b).call(cd);
        assertTrue(ok);
        assertEq(l1b.operatorFeeScalar(), 10_000);
        assertEq(l1b.operatorFeeConstant(), 55);
        bytes32 s8 = vm.load(address(l1b), bytes32(uint256(8)));
        assertEq(uint256(s8), (uint256(10_000) << 64) | 55);
        // op-revm: scalar at big-endian bytes [20..24), constant at [24..32)
        assertEq(uint32(bytes4(s8 << (20 * 8))), 10_000);
        assertEq(uint64(bytes8(s8 << (24 * 8))), 55);
        assertEq(l1b.baseFeeScalar(), 1);
        assertEq(l1b.blobBaseFeeScalar(), 2);
        assertEq(l1b.sequenceNumber(), 3);
        assertEq(l1b.timestamp(), 4);
        assertEq(l1b.number(), 5);
        assertEq(gpo.getOperatorFee(1_000_000), 1_000_000 * 10_000 / 1e6 + 55);
    }

    function test_setters_revertForNonDepositor() public {
        vm.expectRevert(L1Block.NotDepositor.selector);
        l1b.setL1BlockValuesEcotone();
        vm.expectRevert(L1Block.NotDepositor.selector);
        l1b.setL1BlockValuesIsthmus();
        vm.expectRevert(L1Block.NotDepositor.selector);
        l1b.setL1BlockValues(1, 2, 3, bytes32(0), 4, bytes32(0), 5, 6);
    }

    function test_legacySetter() public {
        vm.prank(depositor);
        l1b.setL1BlockValues(1, 2, 3, bytes32(uint256(4)), 5, bytes32(uint256(6)), 7, 8);
        assertEq(l1b.number(), 1);
        assertEq(l1b.timestamp(), 2);
        assertEq(l1b.basefee(), 3);
        assertEq(l1b.hash(), bytes32(uint256(4)));
        assertEq(l1b.sequenceNumber(), 5);
        assertEq(l1b.batcherHash(), bytes32(uint256(6)));
        assertEq(l1b.l1FeeOverhead(), 7);
        assertEq(l1b.l1FeeScalar(), 8);
        assertEq(uint256(vm.load(address(l1b), bytes32(uint256(5)))), 7);
        assertEq(uint256(vm.load(address(l1b), bytes32(uint256(6)))), 8);
    }

    function test_metadata() public view {
        assertEq(l1b.DEPOSITOR_ACCOUNT(), depositor);
        assertTrue(l1b.isCustomGasToken());
        assertEq(l1b.gasPayingTokenName(), "Balance AI");
        assertEq(l1b.gasPayingTokenSymbol(), "BAI");
        assertEq(l1b.version(), "1.6.0+bai");
    }

    function testFuzz_ecotoneRoundTrip(
        uint32 bfs,
        uint32 bbfs,
        uint64 seq,
        uint64 ts,
        uint64 num,
        uint256 basefee,
        uint256 blob,
        bytes32 h,
        bytes32 batcher
    ) public {
        vm.prank(depositor);
        (bool ok,) = address(l1b).call(_ecotone(bfs, bbfs, seq, ts, num, basefee, blob, h, batcher));
        assertTrue(ok);
        assertEq(l1b.baseFeeScalar(), bfs);
        assertEq(l1b.blobBaseFeeScalar(), bbfs);
        assertEq(l1b.sequenceNumber(), seq);
        assertEq(l1b.timestamp(), ts);
        assertEq(l1b.number(), num);
        assertEq(l1b.basefee(), basefee);
        assertEq(l1b.blobBaseFee(), blob);
        assertEq(l1b.hash(), h);
        assertEq(l1b.batcherHash(), batcher);
    }

    function test_gasPriceOracle() public {
        vm.prank(depositor);
        (bool ok,) = address(l1b).call(_ecotone(1368, 810_949, 0, 1, 1, 10 gwei, 1 gwei, bytes32(0), bytes32(0)));
        assertTrue(ok);
        assertTrue(gpo.isEcotone());
        assertFalse(gpo.isFjord());
        assertTrue(gpo.isIsthmus());
        assertEq(gpo.decimals(), 6);
        assertEq(gpo.l1BaseFee(), 10 gwei);
        assertEq(gpo.blobBaseFee(), 1 gwei);
        assertEq(gpo.baseFeeScalar(), 1368);
        assertEq(gpo.blobBaseFeeScalar(), 810_949);
        vm.fee(7);
        assertEq(gpo.gasPrice(), 7);
        assertEq(gpo.baseFee(), 7);
        bytes memory data = hex"00ff00ff";
        uint256 gasUsed = gpo.getL1GasUsed(data);
        assertEq(gasUsed, 4 + 16 + 4 + 16 + 68 * 16);
        uint256 expected = gasUsed * (uint256(1368) * 16 * 10 gwei + uint256(810_949) * 1 gwei) / 16e6;
        assertEq(gpo.getL1Fee(data), expected);
        assertGt(gpo.getL1FeeUpperBound(200), 0);
        assertGt(gpo.getL1FeeUpperBound(10_000), gpo.getL1FeeUpperBound(200));
        assertEq(gpo.version(), "1.4.0+bai");
    }
}
