// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {Predeploys} from "../libraries/Predeploys.sol";
import {L1Block} from "./L1Block.sol";

/// @title GasPriceOracle
/// @notice Predeploy at 0x4200…000F: read-only helper that estimates the L1 data fee and the operator
///         fee from the parameters in {L1Block}. The authoritative fee is computed by op-revm in the
///         node; this contract exists so OP-aware tools (viem `estimateL1Fee`, wallets) work.
/// @dev `getL1Fee` uses the Ecotone formula (calldata-gas based). Fjord's FastLZ-based estimate is not
///      reimplemented; `getL1FeeUpperBound` gives Fjord's documented upper bound instead.
contract GasPriceOracle {
    /// @notice Number of decimals of the scalars.
    uint256 public constant DECIMALS = 6;
    /// @notice Fjord: minimum estimated transaction size (scaled by 1e6).
    uint256 internal constant MIN_TRANSACTION_SIZE = 100;
    /// @notice Fjord regression intercept (scaled by 1e6).
    int256 internal constant COST_INTERCEPT = -42_585_600;
    /// @notice Fjord regression coefficient for the FastLZ size (scaled by 1e6).
    uint256 internal constant COST_FASTLZ_COEF = 836_500;

    /// @notice Semantic version.
    string public constant version = "1.4.0+bai";

    /// @notice Ecotone is active from genesis.
    /// @return Always true.
    function isEcotone() external pure returns (bool) {
        return true;
    }

    /// @notice Whether the FastLZ (Fjord) estimate is used by {getL1Fee}.
    /// @return Always false (see contract notes).
    function isFjord() external pure returns (bool) {
        return false;
    }

    /// @notice Isthmus (operator fee) is active from genesis.
    /// @return Always true.
    function isIsthmus() external pure returns (bool) {
        return true;
    }

    /// @notice Current L2 base fee.
    /// @return The block base fee.
    function gasPrice() external view returns (uint256) {
        return block.basefee;
    }

    /// @notice Current L2 base fee.
    /// @return The block base fee.
    function baseFee() external view returns (uint256) {
        return block.basefee;
    }

    /// @notice Latest L1 base fee.
    /// @return The L1 base fee stored in L1Block.
    function l1BaseFee() public view returns (uint256) {
        return L1Block(Predeploys.L1_BLOCK_ATTRIBUTES).basefee();
    }

    /// @notice Latest L1 blob base fee.
    /// @return The L1 blob base fee stored in L1Block.
    function blobBaseFee() public view returns (uint256) {
        return L1Block(Predeploys.L1_BLOCK_ATTRIBUTES).blobBaseFee();
    }

    /// @notice Base fee scalar.
    /// @return The scalar stored in L1Block.
    function baseFeeScalar() public view returns (uint32) {
        return L1Block(Predeploys.L1_BLOCK_ATTRIBUTES).baseFeeScalar();
    }

    /// @notice Blob base fee scalar.
    /// @return The scalar stored in L1Block.
    function blobBaseFeeScalar() public view returns (uint32) {
        return L1Block(Predeploys.L1_BLOCK_ATTRIBUTES).blobBaseFeeScalar();
    }

    /// @notice Scalar decimals.
    /// @return 6.
    function decimals() external pure returns (uint256) {
        return DECIMALS;
    }

    /// @notice L1 gas used by a signed transaction's RLP (`_data`), Ecotone rules (incl. 68 bytes of signature).
    /// @param _data Unsigned RLP-encoded transaction.
    /// @return Estimated L1 gas.
    function getL1GasUsed(bytes calldata _data) public pure returns (uint256) {
        uint256 total = 0;
        uint256 length = _data.length;
        for (uint256 i = 0; i < length; ++i) {
            total += _data[i] == 0 ? 4 : 16;
        }
        return total + (68 * 16);
    }

    /// @notice Ecotone L1 data fee of a transaction.
    /// @param _data Unsigned RLP-encoded transaction.
    /// @return The fee in wei of BAI.
    function getL1Fee(bytes calldata _data) external view returns (uint256) {
        uint256 l1GasUsed = getL1GasUsed(_data);
        uint256 scaledBaseFee = uint256(baseFeeScalar()) * 16 * l1BaseFee();
        uint256 scaledBlobBaseFee = uint256(blobBaseFeeScalar()) * blobBaseFee();
        return (l1GasUsed * (scaledBaseFee + scaledBlobBaseFee)) / (16 * (10 ** DECIMALS));
    }

    /// @notice Fjord upper bound of the L1 data fee for an unsigned transaction of `_unsignedTxSize` bytes.
    /// @param _unsignedTxSize Size of the unsigned RLP transaction.
    /// @return The fee upper bound in wei of BAI.
    function getL1FeeUpperBound(uint256 _unsignedTxSize) external view returns (uint256) {
        uint256 txSize = _unsignedTxSize + 68;
        uint256 flzUpperBound = txSize + txSize / 255 + 16;
        int256 estimated = COST_INTERCEPT + int256(COST_FASTLZ_COEF * flzUpperBound);
        uint256 estimatedSize = estimated < int256(MIN_TRANSACTION_SIZE * 1e6)
            ? MIN_TRANSACTION_SIZE * 1e6
            : uint256(estimated);
        uint256 feeScaled = uint256(baseFeeScalar()) * 16 * l1BaseFee() + uint256(blobBaseFeeScalar()) * blobBaseFee();
        return (estimatedSize * feeScaled) / (10 ** (DECIMALS * 2));
    }

    /// @notice Isthmus operator fee for `_gasUsed` L2 gas: gasUsed * scalar / 1e6 + constant.
    /// @param _gasUsed L2 gas used.
    /// @return The operator fee in wei of BAI.
    function getOperatorFee(uint256 _gasUsed) external view returns (uint256) {
        L1Block l1 = L1Block(Predeploys.L1_BLOCK_ATTRIBUTES);
        return (_gasUsed * uint256(l1.operatorFeeScalar())) / (10 ** DECIMALS) + uint256(l1.operatorFeeConstant());
    }
}
