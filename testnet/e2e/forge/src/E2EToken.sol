// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// OpenZeppelin ERC-20 used by the end-to-end tests and the benchmark: the whole supply goes to `holder`.
contract E2EToken is ERC20 {
    constructor(address holder, uint256 supply) ERC20("E2E Token", "E2E") {
        _mint(holder, supply);
    }
}
