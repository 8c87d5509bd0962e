// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Script} from "forge-std/Script.sol";
import {E2EToken} from "../src/E2EToken.sol";

/// forge script script/DeployToken.s.sol --broadcast --rpc-url $RPC --private-key $KEY
/// Env: RECIPIENT (address), SUPPLY (wei units), AMOUNT (wei units transferred to RECIPIENT).
contract DeployToken is Script {
    function run() external returns (E2EToken token) {
        address recipient = vm.envAddress("RECIPIENT");
        uint256 supply = vm.envUint("SUPPLY");
        uint256 amount = vm.envUint("AMOUNT");
        vm.startBroadcast();
        token = new E2EToken(msg.sender, supply);
        require(token.transfer(recipient, amount), "transfer failed");
        vm.stopBroadcast();
    }
}
