// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

/// @title Predeploys
/// @notice Fixed L2 genesis addresses of the BalanceAI predeploys and system accounts.
/// @dev OP-Stack addresses are kept identical to OP's so OP-aware tools (viem, op-alloy) work unchanged.
library Predeploys {
    /// @notice L1 attributes (OP layout; op-revm reads the L1 fee parameters from its storage).
    address internal constant L1_BLOCK_ATTRIBUTES = 0x4200000000000000000000000000000000000015;
    /// @notice Withdrawal initiation; its storage root is committed in every output root.
    address internal constant L2_TO_L1_MESSAGE_PASSER = 0x4200000000000000000000000000000000000016;
    /// @notice L1 fee estimation helper.
    address internal constant GAS_PRICE_ORACLE = 0x420000000000000000000000000000000000000F;
    /// @notice Receives priority fees.
    address internal constant SEQUENCER_FEE_VAULT = 0x4200000000000000000000000000000000000011;
    /// @notice Receives the base fee.
    address internal constant BASE_FEE_VAULT = 0x4200000000000000000000000000000000000019;
    /// @notice Receives the L1 data fee.
    address internal constant L1_FEE_VAULT = 0x420000000000000000000000000000000000001A;
    /// @notice L2 side of the BAI bridge (native BAI withdrawals).
    address internal constant L2_BRIDGE = 0x4200000000000000000000000000000000000010;
    /// @notice Model registry and marketplace (the AI precompile reads its storage).
    address internal constant MODEL_MARKETPLACE = 0x4200000000000000000000000000000000000B00;
    /// @notice Staking and delegation of validators / inference operators.
    address internal constant STAKING = 0x4200000000000000000000000000000000000b01;
    /// @notice Inference witnesses recorded by the sequencer (the AI precompile reads its storage).
    address internal constant INFERENCE_WITNESS_STORE = 0x4200000000000000000000000000000000000b02;
    /// @notice Prepaid escrow / payment channels for model calls.
    address internal constant PAYMENT_CHANNELS = 0x4200000000000000000000000000000000000B03;
    /// @notice Curation (stake on models, share revenue, slashed with bad models).
    address internal constant CURATION = 0x4200000000000000000000000000000000000B04;
    /// @notice Evidence against wrong inference witnesses; slashes their operators in Staking.
    address internal constant INFERENCE_DISPUTES = 0x4200000000000000000000000000000000000B05;
    /// @notice The AI inference precompile (ABI-selector dispatch).
    address internal constant BAI_INFERENCE = 0x0000000000000000000000000000000000000BA1;
    /// @notice The system account that sends L1-attributes and other system deposit transactions.
    address internal constant DEPOSITOR_ACCOUNT = 0xDeaDDEaDDeAdDeAdDEAdDEaddeAddEAdDEAd0001;
}
