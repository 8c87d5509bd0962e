// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {Script} from "forge-std/Script.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {BaiToken} from "../src/L1/BaiToken.sol";
import {L2OutputOracle} from "../src/L1/L2OutputOracle.sol";
import {BaiPortal} from "../src/L1/BaiPortal.sol";
import {SystemConfig} from "../src/L1/SystemConfig.sol";

/// @title DeployL1
/// @notice Deploys BaiToken, L2OutputOracle, BaiPortal and SystemConfig to any RPC and writes their
///         addresses to $BAI_L1_DEPLOY_OUT (JSON).
///         `BAI_L1_DEPLOY_OUT=/abs/out.json forge script script/DeployL1.s.sol --rpc-url $L1 --broadcast`
///         Signer: $BAI_DEPLOYER_KEY (default: anvil dev key 0). Parameters (env, devnet defaults):
///         BAI_TREASURY, BAI_TOTAL_SUPPLY, BAI_PROPOSER, BAI_CHALLENGER, BAI_GUARDIAN, BAI_BATCHER,
///         BAI_BATCH_INBOX, BAI_UNSAFE_BLOCK_SIGNER, BAI_SUBMISSION_INTERVAL,
///         BAI_L2_BLOCK_TIME_MS (L2 block time in milliseconds, default 1000),
///         BAI_FINALIZATION_PERIOD, BAI_STARTING_BLOCK_NUMBER, BAI_STARTING_TIMESTAMP (default: now),
///         BAI_L2_GAS_LIMIT, BAI_BASEFEE_SCALAR, BAI_BLOBBASEFEE_SCALAR.
contract DeployL1 is Script {
    /// @notice anvil dev key 0 (standard test mnemonic) — devnet only.
    uint256 internal constant DEV_KEY_0 = 0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80;

    /// @notice Deployment parameters.
    struct Config {
        address treasury;
        uint256 totalSupply;
        address proposer;
        address challenger;
        address guardian;
        address batcher;
        address batchInbox;
        address unsafeBlockSigner;
        uint256 submissionInterval;
        uint256 l2BlockTimeMs;
        uint256 finalizationPeriod;
        uint256 startingBlockNumber;
        uint256 startingTimestamp;
        uint64 l2GasLimit;
        uint32 basefeeScalar;
        uint32 blobbasefeeScalar;
    }

    /// @notice Deployed addresses.
    struct Deployment {
        BaiToken token;
        L2OutputOracle oracle;
        BaiPortal portal;
        SystemConfig systemConfig;
    }

    /// @notice Reads the configuration from the environment (devnet defaults).
    /// @param deployer Deployer address (default treasury / guardian).
    /// @return c The configuration.
    function config(address deployer) public view returns (Config memory c) {
        c.treasury = vm.envOr("BAI_TREASURY", deployer);
        c.totalSupply = vm.envOr("BAI_TOTAL_SUPPLY", uint256(1_000_000_000 ether));
        c.proposer = vm.envOr("BAI_PROPOSER", address(0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC));
        c.challenger = vm.envOr("BAI_CHALLENGER", address(0x70997970C51812dc3A010C7d01b50e0d17dc79C8));
        c.guardian = vm.envOr("BAI_GUARDIAN", deployer);
        c.batcher = vm.envOr("BAI_BATCHER", address(0x90F79bf6EB2c4f870365E785982E1f101E93b906));
        c.batchInbox = vm.envOr("BAI_BATCH_INBOX", address(0xFf00000000000000000000000000000000000BA1));
        c.unsafeBlockSigner = vm.envOr("BAI_UNSAFE_BLOCK_SIGNER", address(0));
        c.submissionInterval = vm.envOr("BAI_SUBMISSION_INTERVAL", uint256(10));
        c.l2BlockTimeMs = vm.envOr("BAI_L2_BLOCK_TIME_MS", uint256(1000));
        c.finalizationPeriod = vm.envOr("BAI_FINALIZATION_PERIOD", uint256(12));
        c.startingBlockNumber = vm.envOr("BAI_STARTING_BLOCK_NUMBER", uint256(0));
        c.startingTimestamp = vm.envOr("BAI_STARTING_TIMESTAMP", block.timestamp);
        c.l2GasLimit = uint64(vm.envOr("BAI_L2_GAS_LIMIT", uint256(30_000_000)));
        c.basefeeScalar = uint32(vm.envOr("BAI_BASEFEE_SCALAR", uint256(1368)));
        c.blobbasefeeScalar = uint32(vm.envOr("BAI_BLOBBASEFEE_SCALAR", uint256(810_949)));
    }

    /// @notice Entry point.
    /// @return d The deployment.
    function run() external returns (Deployment memory d) {
        uint256 key = vm.envOr("BAI_DEPLOYER_KEY", DEV_KEY_0);
        address deployer = vm.addr(key);
        Config memory c = config(deployer);
        vm.startBroadcast(key);
        d = deploy(c, deployer);
        vm.stopBroadcast();
        _write(d, c);
    }

    /// @notice Deploys and wires everything (callable from tests without broadcasting).
    /// @param c Configuration.
    /// @param owner SystemConfig owner.
    /// @return d The deployment.
    function deploy(Config memory c, address owner) public returns (Deployment memory d) {
        d.token = new BaiToken(c.treasury, c.totalSupply);
        d.oracle = new L2OutputOracle(
            c.submissionInterval,
            c.l2BlockTimeMs,
            c.startingBlockNumber,
            c.startingTimestamp,
            c.proposer,
            c.challenger,
            c.finalizationPeriod
        );
        d.systemConfig = new SystemConfig(
            owner, c.batcher, c.l2GasLimit, c.basefeeScalar, c.blobbasefeeScalar, c.batchInbox, c.unsafeBlockSigner
        );
        d.portal = new BaiPortal(d.oracle, address(d.systemConfig), IERC20(address(d.token)), c.guardian);
        d.systemConfig.setAddresses(address(d.portal), address(d.oracle), address(d.token));
    }

    function _write(Deployment memory d, Config memory c) private {
        string memory out = vm.envOr("BAI_L1_DEPLOY_OUT", string("out/l1-deploy.json"));
        string memory k = "bai-l1";
        vm.serializeAddress(k, "BaiToken", address(d.token));
        vm.serializeAddress(k, "L2OutputOracle", address(d.oracle));
        vm.serializeAddress(k, "OptimismPortal", address(d.portal));
        vm.serializeAddress(k, "SystemConfig", address(d.systemConfig));
        vm.serializeAddress(k, "batchInbox", c.batchInbox);
        vm.serializeAddress(k, "batcher", c.batcher);
        vm.serializeAddress(k, "proposer", c.proposer);
        vm.serializeAddress(k, "challenger", c.challenger);
        vm.serializeAddress(k, "guardian", c.guardian);
        vm.serializeUint(k, "l1ChainId", block.chainid);
        vm.serializeUint(k, "startBlock", d.systemConfig.startBlock());
        vm.serializeUint(k, "startingBlockNumber", c.startingBlockNumber);
        vm.serializeUint(k, "submissionInterval", c.submissionInterval);
        vm.serializeUint(k, "finalizationPeriodSeconds", c.finalizationPeriod);
        string memory json = vm.serializeUint(k, "startingTimestamp", c.startingTimestamp);
        vm.writeJson(json, out);
    }
}
