// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";
import {ERC20Votes} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Votes.sol";
import {Nonces} from "@openzeppelin/contracts/utils/Nonces.sol";

/// @title BaiToken
/// @notice The L1 ERC-20 "Balance AI" (BAI), 18 decimals, with EIP-2612 permit and ERC20Votes
///         checkpoints for governance. The whole fixed supply is minted once, at deployment, to the
///         treasury; there is no mint or burn function and no owner.
contract BaiToken is ERC20, ERC20Permit, ERC20Votes {
    /// @notice The treasury was the zero address.
    error ZeroTreasury();

    /// @notice Mints `supply` to `treasury`.
    /// @param treasury Receiver of the whole supply.
    /// @param supply Fixed total supply (wei).
    constructor(address treasury, uint256 supply) ERC20("Balance AI", "BAI") ERC20Permit("Balance AI") {
        if (treasury == address(0)) revert ZeroTreasury();
        _mint(treasury, supply);
    }

    /// @inheritdoc ERC20Permit
    function nonces(address owner) public view override(ERC20Permit, Nonces) returns (uint256) {
        return super.nonces(owner);
    }

    function _update(address from, address to, uint256 value) internal override(ERC20, ERC20Votes) {
        super._update(from, to, value);
    }
}
