// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// Benchmark helpers (testnet/bench): an OpenZeppelin ERC-20 minted to many holders in one tx, and a
/// disperser that funds many accounts with the native currency in one tx.
contract BenchToken is ERC20 {
    constructor(address[] memory holders, uint256 each) ERC20("Bench Token", "BENCH") {
        for (uint256 i = 0; i < holders.length; i++) {
            _mint(holders[i], each);
        }
    }
}

contract Disperse {
    function disperse(address[] calldata to, uint256 each) external payable {
        require(msg.value == each * to.length, "value");
        for (uint256 i = 0; i < to.length; i++) {
            (bool ok,) = to[i].call{value: each}("");
            require(ok, "send");
        }
    }
}
