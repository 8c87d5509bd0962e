// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {Test} from "forge-std/Test.sol";
import {stdJson} from "forge-std/StdJson.sol";
import {L2Genesis} from "../../script/L2Genesis.s.sol";
import {Predeploys} from "../../src/libraries/Predeploys.sol";

contract L2GenesisTest is Test {
    using stdJson for string;

    function test_runWritesAllocWithAllPredeploys() public {
        string memory path = string.concat(vm.projectRoot(), "/out/l2-alloc.test.json");
        vm.setEnv("BAI_L2_ALLOC_OUT", path);
        L2Genesis g = new L2Genesis();
        g.run();
        string memory json = vm.readFile(path);
        address[] memory list = g.predeploys();
        assertEq(list.length, 12);
        for (uint256 i = 0; i < list.length; ++i) {
            string memory key = string.concat(".", vm.toLowercase(vm.toString(list[i])));
            bytes memory code = json.readBytes(string.concat(key, ".code"));
            assertGt(code.length, 0);
            assertEq(keccak256(code), keccak256(list[i].code), "code matches the placed runtime");
            assertEq(json.readString(string.concat(key, ".balance")), "0x0");
        }
        // initialised predeploys carry their storage (e.g. Staking's Initializable flag and params)
        string memory stakingKey = string.concat(".", vm.toLowercase(vm.toString(Predeploys.STAKING)), ".storage");
        assertGt(vm.parseJsonKeys(json, stakingKey).length, 3);
        // and the values match the live state
        string[] memory slots = vm.parseJsonKeys(json, stakingKey);
        for (uint256 i = 0; i < slots.length; ++i) {
            bytes32 v = json.readBytes32(string.concat(stakingKey, ".", slots[i]));
            assertEq(vm.load(Predeploys.STAKING, vm.parseBytes32(slots[i])), v);
        }
    }
}
