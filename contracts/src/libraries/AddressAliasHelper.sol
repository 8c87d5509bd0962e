// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

/// @title AddressAliasHelper
/// @notice L1 contract addresses are aliased on L2 (OP / Arbitrum offset) so an L1 contract cannot
///         impersonate an L2 account with the same address.
library AddressAliasHelper {
    /// @notice The alias offset.
    uint160 internal constant OFFSET = uint160(0x1111000000000000000000000000000000001111);

    /// @notice L1 address -> its L2 alias.
    function applyL1ToL2Alias(address l1Address) internal pure returns (address l2Address) {
        unchecked {
            l2Address = address(uint160(l1Address) + OFFSET);
        }
    }

    /// @notice L2 alias -> the L1 address.
    function undoL1ToL2Alias(address l2Address) internal pure returns (address l1Address) {
        unchecked {
            l1Address = address(uint160(l2Address) - OFFSET);
        }
    }
}
