// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {Test} from "forge-std/Test.sol";
import {L2Genesis} from "../../script/L2Genesis.s.sol";
import {Predeploys} from "../../src/libraries/Predeploys.sol";
import {MockInference} from "../mocks/MockInference.sol";

/// @notice Builds the real L2 genesis state (same code path as the alloc script) for L2 tests.
abstract contract L2Base is Test {
    L2Genesis internal genesis;
    L2Genesis.Params internal p;
    address internal admin = makeAddr("admin");
    address internal treasury = makeAddr("treasury");
    address internal slasher = makeAddr("slasher");
    address internal feeRecipient = makeAddr("feeRecipient");
    address internal challenger = makeAddr("challenger");

    /// @dev Whether the genesis registers the devnet models (staked operator #9, owner #8, delegator #7).
    function _devModels() internal pure virtual returns (bool) {
        return false;
    }

    function setUp() public virtual {
        genesis = new L2Genesis();
        p = L2Genesis.Params({
            admin: admin,
            treasury: treasury,
            slasher: slasher,
            feeRecipient: feeRecipient,
            minSelfStake: 100 ether,
            unbondingPeriod: 7 days,
            jailDuration: 1 days,
            curationExitDelay: 3 days,
            maxModelPrice: 1000 ether,
            priceCooldown: 1 hours,
            challenger: challenger,
            slashFractionWad: 0.1e18,
            inferenceDisputeWindow: 604_800,
            devModels: _devModels(),
            l1Portal: address(0),
            l1Token: address(0)
        });
        genesis.build(p);
        vm.etch(Predeploys.BAI_INFERENCE, address(new MockInference()).code);
    }
}
