// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

/// @title Encoding
/// @notice Nonce versioning shared by the message passer (OP `Encoding.encodeVersionedNonce`).
library Encoding {
    /// @notice Puts `_version` in the top two bytes of a 256-bit nonce.
    function encodeVersionedNonce(uint240 _nonce, uint16 _version) internal pure returns (uint256 nonce) {
        nonce = (uint256(_version) << 240) | uint256(_nonce);
    }

    /// @notice Splits a versioned nonce into (nonce, version).
    function decodeVersionedNonce(uint256 _nonce) internal pure returns (uint240 nonce, uint16 version) {
        nonce = uint240(_nonce);
        version = uint16(_nonce >> 240);
    }
}
