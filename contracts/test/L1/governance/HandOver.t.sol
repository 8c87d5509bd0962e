// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {Vm} from "forge-std/Vm.sol";
import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {IERC165} from "@openzeppelin/contracts/utils/introspection/IERC165.sol";
import {TimelockController} from "@openzeppelin/contracts/governance/TimelockController.sol";
import {GovernanceBase} from "./GovernanceBase.t.sol";
import {DeployL1} from "../../../script/DeployL1.s.sol";
import {DeployGovernance} from "../../../script/DeployGovernance.s.sol";
import {BaiGovernor} from "../../../src/L1/governance/BaiGovernor.sol";

/// (d) After the hand-over script's logic ran on a fresh DeployL1 deployment, nothing is left with the
///     deployer: every AccessControl role ever granted (enumerated from the RoleGranted events of the whole
///     deployment, and every known role constant), every Ownable owner / pending owner, the guardian and
///     every other address-valued admin getter of every contract involved.
contract HandOverTest is GovernanceBase {
    bytes32 internal constant ROLE_GRANTED = keccak256("RoleGranted(bytes32,address,address)");
    bytes32 internal constant ROLE_REVOKED = keccak256("RoleRevoked(bytes32,address,address)");
    bytes32 internal constant OWNERSHIP_TRANSFERRED = keccak256("OwnershipTransferred(address,address)");

    struct Grant {
        address emitter;
        bytes32 role;
        address account;
    }

    Grant[] internal grants;

    /// Address-valued getters an admin or operator could hide behind.
    function _adminGetters() internal pure returns (string[12] memory) {
        return [
            "owner()",
            "pendingOwner()",
            "guardian()",
            "GUARDIAN()",
            "PROPOSER()",
            "CHALLENGER()",
            "proposer()",
            "challenger()",
            "batcher()",
            "unsafeBlockSigner()",
            "timelock()",
            "admin()"
        ];
    }

    function test_handOver_leavesNothingWithDeployer() public {
        // A fresh deployment, recorded from the first L1 contract to the end of the hand-over.
        vm.recordLogs();
        DeployL1.Deployment memory dep = _deployL1();
        DeployGovernance.L1Contracts memory l1 = DeployGovernance.L1Contracts({
            token: dep.token, oracle: dep.oracle, portal: dep.portal, systemConfig: dep.systemConfig
        });
        assertEq(dep.systemConfig.owner(), deployer);
        assertEq(dep.portal.guardian(), deployer);
        DeployGovernance.Governance memory g = _handOver(l1, _govConfig());
        Vm.Log[] memory logs = vm.getRecordedLogs();
        TimelockController t = g.timelock;

        // Every contract that emitted anything, plus the six we know of.
        address[] memory contracts = new address[](logs.length + 6);
        uint256 n;
        address[6] memory known = [
            address(dep.token),
            address(dep.oracle),
            address(dep.portal),
            address(dep.systemConfig),
            address(t),
            address(g.governor)
        ];
        for (uint256 i = 0; i < known.length; i++) {
            contracts[n++] = known[i];
        }
        for (uint256 i = 0; i < logs.length; i++) {
            contracts[n++] = logs[i].emitter;
        }

        // 1. Every role ever granted, on any contract: replay grants and revocations.
        for (uint256 i = 0; i < logs.length; i++) {
            if (logs[i].topics.length < 3) continue;
            bytes32 sig = logs[i].topics[0];
            if (sig != ROLE_GRANTED && sig != ROLE_REVOKED) continue;
            address emitter = logs[i].emitter;
            bytes32 role = logs[i].topics[1];
            address account = address(uint160(uint256(logs[i].topics[2])));
            assertEq(emitter, address(t), "only the timelock has roles");
            if (sig == ROLE_GRANTED) {
                grants.push(Grant(emitter, role, account));
            }
            assertFalse(IAccessControl(emitter).hasRole(role, deployer), "deployer keeps a role");
        }
        assertGt(grants.length, 0);
        // The holders left are exactly: the timelock (its own admin) and the governor (proposer, canceller,
        // executor) — the deployer's bootstrap roles were granted and renounced.
        uint256 held;
        bool deployerWasGranted;
        for (uint256 i = 0; i < grants.length; i++) {
            Grant memory gr = grants[i];
            if (gr.account == deployer) deployerWasGranted = true;
            if (!t.hasRole(gr.role, gr.account)) continue;
            held++;
            if (gr.role == t.DEFAULT_ADMIN_ROLE()) {
                assertEq(gr.account, address(t));
            } else {
                assertTrue(
                    gr.role == t.PROPOSER_ROLE() || gr.role == t.CANCELLER_ROLE() || gr.role == t.EXECUTOR_ROLE()
                );
                assertEq(gr.account, address(g.governor));
            }
        }
        assertTrue(deployerWasGranted);
        assertEq(held, 4);

        // 2. Every known role constant, for the deployer, the timelock, the governor and the open role.
        bytes32[4] memory roles = [t.DEFAULT_ADMIN_ROLE(), t.PROPOSER_ROLE(), t.CANCELLER_ROLE(), t.EXECUTOR_ROLE()];
        for (uint256 i = 0; i < roles.length; i++) {
            assertFalse(t.hasRole(roles[i], deployer), "deployer holds a timelock role");
            assertFalse(t.hasRole(roles[i], address(0)), "open timelock role");
            assertEq(t.hasRole(roles[i], address(t)), i == 0);
            assertEq(t.hasRole(roles[i], address(g.governor)), i != 0);
        }
        assertEq(t.getMinDelay(), TIMELOCK_DELAY);

        // 3. No other contract is an AccessControl; every Ownable's owner is the timelock, no pending owner;
        //    no address-valued admin getter anywhere returns the deployer.
        string[12] memory getters = _adminGetters();
        for (uint256 i = 0; i < n; i++) {
            address c = contracts[i];
            if (c != address(t)) assertFalse(_isAccessControl(c), "unexpected AccessControl contract");
            for (uint256 j = 0; j < getters.length; j++) {
                (bool ok, address a) = _getAddress(c, getters[j]);
                if (ok) assertTrue(a != deployer, string.concat("deployer is ", getters[j]));
            }
            (bool hasOwner, address owner) = _getAddress(c, "owner()");
            if (hasOwner) assertEq(owner, address(t), "an Ownable not owned by the timelock");
            (bool hasPending, address pending) = _getAddress(c, "pendingOwner()");
            if (hasPending) assertEq(pending, address(0), "a pending owner");
        }
        for (uint256 i = 0; i < logs.length; i++) {
            if (logs[i].topics.length == 0 || logs[i].topics[0] != OWNERSHIP_TRANSFERRED) continue;
            (bool ok, address owner) = _getAddress(logs[i].emitter, "owner()");
            assertTrue(ok);
            assertEq(owner, address(t));
        }

        // 4. The specific roles, by name.
        assertEq(dep.systemConfig.owner(), address(t));
        assertEq(dep.portal.guardian(), council);
        assertTrue(dep.oracle.PROPOSER() != deployer && dep.oracle.CHALLENGER() != deployer);
        assertEq(g.governor.timelock(), address(t));
        // BaiToken has no roles at all (fixed supply, no owner); the deployer's BAI (if it was the treasury)
        // is a balance, not a role.
        (bool tokenOwner,) = _getAddress(address(dep.token), "owner()");
        assertFalse(tokenOwner);
    }

    /// With the default guardian choice (the deployer was the guardian → the timelock becomes it).
    function test_handOver_defaultGuardianIsTimelock() public {
        DeployL1.Deployment memory dep = _deployL1();
        DeployGovernance.L1Contracts memory l1 = DeployGovernance.L1Contracts({
            token: dep.token, oracle: dep.oracle, portal: dep.portal, systemConfig: dep.systemConfig
        });
        DeployGovernance.Config memory c = _govConfig();
        c.guardian = address(0);
        DeployGovernance.Governance memory g = _handOver(l1, c);
        assertEq(dep.portal.guardian(), address(g.timelock));
    }

    function test_handOver_refusals() public {
        DeployGovernance s = new DeployGovernance();
        DeployL1.Deployment memory dep = _deployL1();
        DeployGovernance.L1Contracts memory l1 = DeployGovernance.L1Contracts({
            token: dep.token, oracle: dep.oracle, portal: dep.portal, systemConfig: dep.systemConfig
        });
        DeployGovernance.Config memory c = _govConfig();

        // Not the owner.
        vm.expectRevert("DeployGovernance: the deployer does not own SystemConfig");
        s.deployAndHandOver(l1, c, alice);
        // The guardian would stay with the deployer.
        c.guardian = deployer;
        vm.expectRevert("DeployGovernance: the guardian must not be the deployer");
        s.deployAndHandOver(l1, c, deployer);
        c.guardian = council;
        // Contracts not wired to each other.
        DeployGovernance.L1Contracts memory wrong = DeployGovernance.L1Contracts({
            token: dep.token, oracle: oracle, portal: dep.portal, systemConfig: dep.systemConfig
        }); // the base deployment's oracle
        vm.expectRevert("DeployGovernance: the L1 contracts are not wired to each other");
        s.deployAndHandOver(wrong, c, deployer);
        // Out-of-bound governor settings abort the whole hand-over.
        c.votingPeriod = 1;
        vm.expectRevert(abi.encodeWithSelector(BaiGovernor.VotingPeriodOutOfBounds.selector, 1));
        s.deployAndHandOver(l1, c, deployer);
        assertEq(dep.systemConfig.owner(), deployer);
        assertEq(dep.portal.guardian(), deployer);
    }

    /// The oracle's proposer/challenger are immutable: a deployer holding one cannot hand it over.
    function test_handOver_refusesDeployerAsOracleRole() public {
        DeployL1 d = new DeployL1();
        DeployL1.Config memory c = DeployL1.Config({
            treasury: treasury,
            totalSupply: SUPPLY,
            proposer: proposer,
            challenger: deployer,
            guardian: deployer,
            batcher: makeAddr("batcher"),
            batchInbox: address(0xFf00000000000000000000000000000000000BA1),
            unsafeBlockSigner: address(0),
            submissionInterval: 10,
            l2BlockTimeMs: 1000,
            finalizationPeriod: 7 days,
            startingBlockNumber: 0,
            startingTimestamp: block.timestamp,
            l2GasLimit: 30_000_000,
            basefeeScalar: 1368,
            blobbasefeeScalar: 810_949
        });
        DeployL1.Deployment memory dep = d.deploy(c, address(d));
        vm.prank(address(d));
        dep.systemConfig.transferOwnership(deployer);
        vm.prank(deployer);
        dep.systemConfig.acceptOwnership();
        DeployGovernance s = new DeployGovernance();
        vm.expectRevert(
            "DeployGovernance: the deployer is the oracle's proposer/challenger (immutable: redeploy the oracle)"
        );
        s.deployAndHandOver(
            DeployGovernance.L1Contracts({
                token: dep.token, oracle: dep.oracle, portal: dep.portal, systemConfig: dep.systemConfig
            }),
            _govConfig(),
            deployer
        );
    }

    /// The script reads DeployL1's JSON (keys as DeployL1 writes them); env vars named like the keys win.
    function test_script_readsDeployL1Json_andEnv() public {
        string memory path = string.concat(vm.projectRoot(), "/out/governance-test-l1.json");
        string memory k = "gov-test-l1";
        vm.serializeAddress(k, "BaiToken", address(token));
        vm.serializeAddress(k, "L2OutputOracle", address(oracle));
        vm.serializeAddress(k, "OptimismPortal", address(portal));
        string memory json = vm.serializeAddress(k, "SystemConfig", address(sysConfig));
        vm.writeJson(json, path);
        vm.setEnv("BAI_L1_DEPLOY_OUT", path);
        DeployGovernance s = new DeployGovernance();
        DeployGovernance.L1Contracts memory l1 = s.l1Contracts();
        assertEq(address(l1.token), address(token));
        assertEq(address(l1.oracle), address(oracle));
        assertEq(address(l1.portal), address(portal));
        assertEq(address(l1.systemConfig), address(sysConfig));
        vm.setEnv("SystemConfig", vm.toString(address(0xC0FFEE)));
        assertEq(address(s.l1Contracts().systemConfig), address(0xC0FFEE));
        vm.setEnv("SystemConfig", vm.toString(address(0)));
        assertEq(address(s.l1Contracts().systemConfig), address(sysConfig));
        vm.setEnv("BAI_L1_DEPLOY_OUT", string.concat(vm.projectRoot(), "/out/does-not-exist.json"));
        vm.expectRevert("DeployGovernance: no address for BaiToken");
        s.l1Contracts();
        vm.setEnv("BAI_L1_DEPLOY_OUT", "out/l1-deploy.json");
    }

    /// Devnet defaults (no BAI_GOV_* variable is set by any test).
    function test_script_configDefaults() public {
        DeployGovernance s = new DeployGovernance();
        DeployGovernance.Config memory c = s.config(_l1(), deployer);
        assertEq(c.votingDelay, 1);
        assertEq(c.votingPeriod, 20);
        assertEq(c.proposalThreshold, 100 ether);
        assertEq(c.quorumPercent, 4);
        assertEq(c.timelockDelay, 60);
        // The portal's guardian is the council here (not the deployer): kept.
        assertEq(c.guardian, council);
        // A guardian that is the deployer is replaced by the timelock (address(0) = the timelock).
        assertEq(s.config(_l1(), council).guardian, address(0));
    }

    function _isAccessControl(address c) internal view returns (bool) {
        if (c.code.length == 0) return false;
        (bool ok, bytes memory ret) =
            c.staticcall(abi.encodeCall(IERC165.supportsInterface, (type(IAccessControl).interfaceId)));
        return ok && ret.length == 32 && abi.decode(ret, (bool));
    }

    function _getAddress(address c, string memory sig) internal view returns (bool ok, address a) {
        if (c.code.length == 0) return (false, address(0));
        bytes memory ret;
        (ok, ret) = c.staticcall(abi.encodeWithSignature(sig));
        if (!ok || ret.length != 32) return (false, address(0));
        uint256 word = abi.decode(ret, (uint256));
        if (word >> 160 != 0) return (false, address(0));
        a = address(uint160(word));
    }
}
