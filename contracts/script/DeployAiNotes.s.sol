// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {Script, console} from "forge-std/Script.sol";
import {AiNotes} from "../src/examples/AiNotes.sol";
import {Predeploys} from "../src/libraries/Predeploys.sol";

/// @title DeployAiNotes
/// @notice Deploys the AiNotes example to an L2 node and prints its address:
///         `cd contracts && ../.tools/bin/forge script script/DeployAiNotes.s.sol --rpc-url $RPC --broadcast --private-key $KEY`
///         Prints `AiNotes deployed at 0x…` under "== Logs ==" (also the `notes` return value). Optional env:
///         BAI_DEPLOYER_KEY (signer, instead of --private-key), BAI_AINOTES_OUT (a path inside the repository or
///         /tmp: also writes `{"AiNotes":"0x…"}` there).
contract DeployAiNotes is Script {
    /// @notice The marketplace predeploy is missing: not a BalanceAI L2.
    error NoMarketplace();

    /// @notice Entry point.
    /// @return notes The deployed contract.
    function run() external returns (AiNotes notes) {
        if (Predeploys.MODEL_MARKETPLACE.code.length == 0) revert NoMarketplace();
        uint256 key = vm.envOr("BAI_DEPLOYER_KEY", uint256(0));
        if (key == 0) vm.startBroadcast();
        else vm.startBroadcast(key);
        notes = new AiNotes();
        vm.stopBroadcast();
        console.log("AiNotes deployed at", address(notes));
        string memory out = vm.envOr("BAI_AINOTES_OUT", string(""));
        if (bytes(out).length != 0) {
            vm.writeFile(out, string.concat("{\"AiNotes\":\"", vm.toString(address(notes)), "\"}"));
        }
    }
}
