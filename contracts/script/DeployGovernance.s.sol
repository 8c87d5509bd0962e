// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {Script} from "forge-std/Script.sol";
import {IVotes} from "@openzeppelin/contracts/governance/utils/IVotes.sol";
import {TimelockController} from "@openzeppelin/contracts/governance/TimelockController.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {BaiToken} from "../src/L1/BaiToken.sol";
import {L2OutputOracle} from "../src/L1/L2OutputOracle.sol";
import {BaiPortal} from "../src/L1/BaiPortal.sol";
import {SystemConfig} from "../src/L1/SystemConfig.sol";
import {BaiGovernor} from "../src/L1/governance/BaiGovernor.sol";
import {AddressAliasHelper} from "../src/libraries/AddressAliasHelper.sol";

/// @title DeployGovernance
/// @notice Deploys BAI governance (OpenZeppelin TimelockController + BaiGovernor) next to already deployed L1
///         contracts and hands every L1 admin role to the timelock (a production hand-over: afterwards the
///         deployer holds nothing).
///         `BAI_L1_DEPLOY_OUT=/abs/l1.json BAI_GOV_DEPLOY_OUT=/abs/gov.json forge script
///          script/DeployGovernance.s.sol --rpc-url $L1 --broadcast`
///         Signer: $BAI_DEPLOYER_KEY (default: anvil dev key 0) — the account that ran DeployL1 (it must own
///         SystemConfig). L1 addresses: env vars named like the keys of DeployL1's JSON (`BaiToken`,
///         `L2OutputOracle`, `OptimismPortal`, `SystemConfig`), otherwise read from the JSON file at
///         $BAI_L1_DEPLOY_OUT (default out/l1-deploy.json). Parameters (env, devnet defaults; production
///         values in docs/governance.md): BAI_GOV_VOTING_DELAY (1 block), BAI_GOV_VOTING_PERIOD (20 blocks),
///         BAI_GOV_PROPOSAL_THRESHOLD (100 BAI, in wei), BAI_GOV_QUORUM_PERCENT (4), BAI_GOV_TIMELOCK_DELAY
///         (60 s), BAI_GOV_GUARDIAN (the portal's pause guardian afterwards; default: the current guardian,
///         or the timelock when the current guardian is the deployer). Output JSON: $BAI_GOV_DEPLOY_OUT
///         (default out/governance-deploy.json).
///         Hand-over, in order: deploy the timelock with a zero delay and the deployer as its only proposer
///         and executor (admin: the timelock alone); deploy the governor; replace the guardian (while the
///         deployer still owns SystemConfig); start SystemConfig's two-step ownership transfer to the
///         timelock; one timelock batch, scheduled and executed at once, accepts the ownership, gives the
///         governor the proposer, canceller and executor roles and raises the delay to its final value; the
///         deployer renounces its three timelock roles; then every post-condition is checked
///         ({checkHandOver}).
contract DeployGovernance is Script {
    /// @notice anvil dev key 0 (standard test mnemonic) — devnet only.
    uint256 internal constant DEV_KEY_0 = 0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80;
    /// @notice Salt of the one-off bootstrap batch the timelock runs during the hand-over.
    bytes32 public constant HANDOVER_SALT = keccak256("BalanceAI.governance.handOver");

    /// @notice The deployed L1 contracts (as DeployL1 names them).
    struct L1Contracts {
        BaiToken token;
        L2OutputOracle oracle;
        BaiPortal portal;
        SystemConfig systemConfig;
    }

    /// @notice Governance parameters.
    struct Config {
        uint48 votingDelay;
        uint32 votingPeriod;
        uint256 proposalThreshold;
        uint256 quorumPercent;
        uint256 timelockDelay;
        /// @dev The portal's guardian after the hand-over; address(0) means the timelock.
        address guardian;
    }

    /// @notice What this script deploys.
    struct Governance {
        TimelockController timelock;
        BaiGovernor governor;
    }

    /// @notice Reads the L1 addresses: env vars named like DeployL1's JSON keys win, else the JSON file.
    /// @return l1 The L1 contracts.
    function l1Contracts() public view returns (L1Contracts memory l1) {
        string memory path = vm.envOr("BAI_L1_DEPLOY_OUT", string("out/l1-deploy.json"));
        string memory json = "";
        if (vm.exists(path)) json = vm.readFile(path);
        l1.token = BaiToken(_address("BaiToken", json));
        l1.oracle = L2OutputOracle(_address("L2OutputOracle", json));
        l1.portal = BaiPortal(_address("OptimismPortal", json));
        l1.systemConfig = SystemConfig(_address("SystemConfig", json));
    }

    /// @notice Reads the governance parameters from the environment (devnet defaults).
    /// @param l1 The L1 contracts (the default guardian is read from the portal).
    /// @param deployer The deploying account.
    /// @return c The parameters.
    function config(L1Contracts memory l1, address deployer) public view returns (Config memory c) {
        c.votingDelay = SafeCast.toUint48(vm.envOr("BAI_GOV_VOTING_DELAY", uint256(1)));
        c.votingPeriod = SafeCast.toUint32(vm.envOr("BAI_GOV_VOTING_PERIOD", uint256(20)));
        c.proposalThreshold = vm.envOr("BAI_GOV_PROPOSAL_THRESHOLD", uint256(100 ether));
        c.quorumPercent = vm.envOr("BAI_GOV_QUORUM_PERCENT", uint256(4));
        c.timelockDelay = vm.envOr("BAI_GOV_TIMELOCK_DELAY", uint256(60));
        address current = l1.portal.guardian();
        c.guardian = vm.envOr("BAI_GOV_GUARDIAN", current == deployer ? address(0) : current);
    }

    /// @notice Entry point: deploys governance, hands everything over, writes $BAI_GOV_DEPLOY_OUT.
    /// @return g The deployed governance contracts.
    function run() external returns (Governance memory g) {
        uint256 key = vm.envOr("BAI_DEPLOYER_KEY", DEV_KEY_0);
        if (key == 0) key = DEV_KEY_0; // "0" = unset (tests reset the variable that way)
        address deployer = vm.rememberKey(key);
        L1Contracts memory l1 = l1Contracts();
        Config memory c = config(l1, deployer);
        g = deployAndHandOver(l1, c, deployer);
        _write(l1, g, c);
    }

    /// @notice Deploys the timelock and governor and hands every L1 admin role to the timelock, broadcasting
    ///         as `deployer` (callable from tests); reverts unless {checkHandOver} holds afterwards.
    /// @param l1 The L1 contracts (`deployer` must own SystemConfig).
    /// @param c Governance parameters.
    /// @param deployer The account that owns the L1 contracts now.
    /// @return g The deployed governance contracts.
    function deployAndHandOver(L1Contracts memory l1, Config memory c, address deployer)
        public
        returns (Governance memory g)
    {
        checkL1(l1, deployer);
        require(c.guardian != deployer, "DeployGovernance: the guardian must not be the deployer");

        vm.startBroadcast(deployer);
        address[] memory bootstrap = new address[](1);
        bootstrap[0] = deployer;
        // Zero delay only until the bootstrap batch below raises it; admin: the timelock alone.
        g.timelock = new TimelockController(0, bootstrap, bootstrap, address(0));
        g.governor = new BaiGovernor(
            IVotes(address(l1.token)), g.timelock, c.votingDelay, c.votingPeriod, c.proposalThreshold, c.quorumPercent
        );
        address guardian = c.guardian == address(0) ? address(g.timelock) : c.guardian;
        if (l1.portal.guardian() != guardian) l1.portal.setGuardian(guardian);
        l1.systemConfig.transferOwnership(address(g.timelock));

        (address[] memory targets, uint256[] memory values, bytes[] memory calls) =
            handOverBatch(l1, g, c.timelockDelay);
        g.timelock.scheduleBatch(targets, values, calls, bytes32(0), HANDOVER_SALT, 0);
        g.timelock.executeBatch(targets, values, calls, bytes32(0), HANDOVER_SALT);

        g.timelock.renounceRole(g.timelock.PROPOSER_ROLE(), deployer);
        g.timelock.renounceRole(g.timelock.CANCELLER_ROLE(), deployer);
        g.timelock.renounceRole(g.timelock.EXECUTOR_ROLE(), deployer);
        vm.stopBroadcast();

        checkHandOver(l1, g, c, deployer);
    }

    /// @notice The bootstrap batch the timelock executes: accept SystemConfig's ownership, give the governor
    ///         its roles, set the final delay.
    /// @param l1 The L1 contracts.
    /// @param g The governance contracts.
    /// @param delay Final timelock delay (seconds).
    /// @return targets Call targets.
    /// @return values Call values (all 0).
    /// @return calls Calldata.
    function handOverBatch(L1Contracts memory l1, Governance memory g, uint256 delay)
        public
        view
        returns (address[] memory targets, uint256[] memory values, bytes[] memory calls)
    {
        TimelockController t = g.timelock;
        targets = new address[](5);
        values = new uint256[](5);
        calls = new bytes[](5);
        targets[0] = address(l1.systemConfig);
        calls[0] = abi.encodeWithSignature("acceptOwnership()");
        targets[1] = address(t);
        calls[1] = abi.encodeCall(t.grantRole, (t.PROPOSER_ROLE(), address(g.governor)));
        targets[2] = address(t);
        calls[2] = abi.encodeCall(t.grantRole, (t.CANCELLER_ROLE(), address(g.governor)));
        targets[3] = address(t);
        calls[3] = abi.encodeCall(t.grantRole, (t.EXECUTOR_ROLE(), address(g.governor)));
        targets[4] = address(t);
        calls[4] = abi.encodeCall(t.updateDelay, (delay));
    }

    /// @notice Pre-conditions: the four contracts exist and are wired to each other, `deployer` owns
    ///         SystemConfig, and holds none of the oracle's roles (they are immutable: no hand-over possible).
    /// @param l1 The L1 contracts.
    /// @param deployer The deploying account.
    function checkL1(L1Contracts memory l1, address deployer) public view {
        require(
            address(l1.token).code.length != 0 && address(l1.oracle).code.length != 0
                && address(l1.portal).code.length != 0 && address(l1.systemConfig).code.length != 0,
            "DeployGovernance: an L1 address has no code"
        );
        require(
            l1.systemConfig.optimismPortal() == address(l1.portal)
                && l1.systemConfig.l2OutputOracle() == address(l1.oracle)
                && l1.systemConfig.gasPayingToken() == address(l1.token)
                && l1.portal.systemConfig() == address(l1.systemConfig)
                && address(l1.portal.l2Oracle()) == address(l1.oracle),
            "DeployGovernance: the L1 contracts are not wired to each other"
        );
        require(l1.systemConfig.owner() == deployer, "DeployGovernance: the deployer does not own SystemConfig");
        require(
            l1.oracle.PROPOSER() != deployer && l1.oracle.CHALLENGER() != deployer,
            "DeployGovernance: the deployer is the oracle's proposer/challenger (immutable: redeploy the oracle)"
        );
    }

    /// @notice Post-conditions of the hand-over; reverts with the first one that fails.
    /// @param l1 The L1 contracts.
    /// @param g The governance contracts.
    /// @param c The parameters used.
    /// @param deployer The deploying account.
    function checkHandOver(L1Contracts memory l1, Governance memory g, Config memory c, address deployer)
        public
        view
    {
        TimelockController t = g.timelock;
        address timelock = address(t);
        require(l1.systemConfig.owner() == timelock, "DeployGovernance: SystemConfig owner is not the timelock");
        require(l1.systemConfig.pendingOwner() == address(0), "DeployGovernance: SystemConfig has a pending owner");
        address guardian = c.guardian == address(0) ? timelock : c.guardian;
        require(l1.portal.guardian() == guardian, "DeployGovernance: portal guardian not set");
        require(guardian != deployer, "DeployGovernance: the deployer is still the guardian");
        require(
            l1.oracle.PROPOSER() != deployer && l1.oracle.CHALLENGER() != deployer,
            "DeployGovernance: the deployer holds an oracle role"
        );
        bytes32[4] memory roles = [t.DEFAULT_ADMIN_ROLE(), t.PROPOSER_ROLE(), t.CANCELLER_ROLE(), t.EXECUTOR_ROLE()];
        for (uint256 i = 0; i < roles.length; i++) {
            require(!t.hasRole(roles[i], deployer), "DeployGovernance: the deployer still holds a timelock role");
        }
        require(t.hasRole(roles[0], timelock), "DeployGovernance: the timelock is not its own admin");
        require(!t.hasRole(roles[0], address(g.governor)), "DeployGovernance: the governor is a timelock admin");
        for (uint256 i = 1; i < roles.length; i++) {
            require(t.hasRole(roles[i], address(g.governor)), "DeployGovernance: the governor lacks a timelock role");
        }
        require(!t.hasRole(t.EXECUTOR_ROLE(), address(0)), "DeployGovernance: the executor role is open");
        require(t.getMinDelay() == c.timelockDelay, "DeployGovernance: timelock delay not set");
        require(g.governor.timelock() == timelock, "DeployGovernance: governor not bound to the timelock");
        require(address(g.governor.token()) == address(l1.token), "DeployGovernance: governor votes with another token");
    }

    function _address(string memory key, string memory json) private view returns (address a) {
        a = vm.envOr(key, address(0));
        if (a == address(0) && bytes(json).length != 0) a = vm.parseJsonAddress(json, string.concat(".", key));
        require(a != address(0), string.concat("DeployGovernance: no address for ", key));
    }

    function _write(L1Contracts memory l1, Governance memory g, Config memory c) private {
        string memory out = vm.envOr("BAI_GOV_DEPLOY_OUT", string("out/governance-deploy.json"));
        string memory k = "bai-governance";
        vm.serializeAddress(k, "TimelockController", address(g.timelock));
        vm.serializeAddress(k, "BaiGovernor", address(g.governor));
        vm.serializeAddress(k, "timelockL2Alias", AddressAliasHelper.applyL1ToL2Alias(address(g.timelock)));
        vm.serializeAddress(k, "BaiToken", address(l1.token));
        vm.serializeAddress(k, "L2OutputOracle", address(l1.oracle));
        vm.serializeAddress(k, "OptimismPortal", address(l1.portal));
        vm.serializeAddress(k, "SystemConfig", address(l1.systemConfig));
        vm.serializeAddress(k, "guardian", l1.portal.guardian());
        vm.serializeUint(k, "votingDelay", c.votingDelay);
        vm.serializeUint(k, "votingPeriod", c.votingPeriod);
        vm.serializeUint(k, "proposalThreshold", c.proposalThreshold);
        vm.serializeUint(k, "quorumPercent", c.quorumPercent);
        vm.serializeUint(k, "timelockMinDelay", c.timelockDelay);
        string memory json = vm.serializeUint(k, "l1ChainId", block.chainid);
        vm.writeJson(json, out);
    }
}
