// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {Script} from "forge-std/Script.sol";
import {console2} from "forge-std/console2.sol";
import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {Predeploys} from "../src/libraries/Predeploys.sol";
import {AddressAliasHelper} from "../src/libraries/AddressAliasHelper.sol";
import {FeeVault} from "../src/L2/FeeVault.sol";
import {ModelMarketplace} from "../src/L2/ModelMarketplace.sol";
import {Staking} from "../src/L2/Staking.sol";
import {Curation} from "../src/L2/Curation.sol";

/// @title L2HandOver
/// @notice Hands every admin / governance role of the L2 predeploys to the L1 governance timelock's aliased L2
///         address (`timelockL2Alias` = timelock + 0x1111000000000000000000000000000000001111), the sender of the
///         L2 calls a proposal makes through `BaiPortal.depositTransaction`. Run on L2 by the current admin (the
///         genesis `BAI_ADMIN`):
///         `BAI_GOV_DEPLOY_OUT=/abs/gov.json BAI_L2_HANDOVER_OUT=/abs/l2-handover.json forge script
///          script/L2HandOver.s.sol --rpc-url $L2 --broadcast`
///         Signer: $BAI_L2_ADMIN_KEY (default: anvil dev key 0 = the devnet's genesis BAI_ADMIN). Alias:
///         $BAI_GOV_L2_ALIAS, otherwise `timelockL2Alias` of DeployGovernance's JSON at $BAI_GOV_DEPLOY_OUT
///         (default out/governance-deploy.json; checked against its `TimelockController`). Optional:
///         $BAI_L2_TREASURY (new treasury of ModelMarketplace, Staking and Curation) and $BAI_L2_FEE_RECIPIENT
///         (new recipient of the three fee vaults), set while the admin still can; unset = unchanged.
///         $BAI_L2_GUARDIAN: the L2 emergency guardian (e.g. a security council), granted ModelMarketplace's
///         GUARDIAN_ROLE while the admin still can: it may `pause()` the marketplace at once, without a proposal,
///         but not unpause it (GOVERNOR_ROLE, i.e. a proposal, lifts the pause); unset = no guardian is appointed.
///         It must be neither the admin (refused: the old admin key keeps nothing) nor the alias. The alias, as
///         DEFAULT_ADMIN_ROLE holder, revokes or replaces it through a proposal.
///         $BAI_L2_DROP_OPERATIONAL_ROLES=true lets the admin renounce an operational role it holds (otherwise
///         the script refuses); $BAI_L2_HANDOVER_REQUIRE_ACCEPTED=true also requires the fee vaults' ownership to
///         have been accepted by the alias (use it to verify after the acceptance proposal). Output JSON:
///         $BAI_L2_HANDOVER_OUT (default out/l2-handover.json).
///         Per role ({roles}): admin / governance roles (DEFAULT_ADMIN_ROLE, GOVERNOR_ROLE, MODERATOR_ROLE) go to the
///         alias; operational roles (Staking's and Curation's SLASHER_ROLE — the challenger key and the
///         InferenceDisputes predeploy —, InferenceDisputes' CHALLENGER_ROLE, ModelMarketplace's GUARDIAN_ROLE) stay
///         with their holders, under the alias as DEFAULT_ADMIN_ROLE. The fee vaults are Ownable2Step: the script
///         starts their transfer (`pendingOwner` = alias); the alias accepts with a proposal (three L2 actions
///         `acceptOwnership()`), and until then the admin still owns them. Depositor-only paths (L1Block, the message
///         passer's `setL1Contracts`, InferenceWitnessStore) belong to the protocol's system account: nothing to hand
///         over.
///         Order: preflight ({preflight}); optional treasury / recipient changes; grant the alias every governance role
///         it lacks; grant the guardian GUARDIAN_ROLE (if configured); start the vault transfers; renounce every role
///         the admin holds (DEFAULT_ADMIN_ROLE last); check every post-condition ({checkHandOver}, reverts on the first
///         that fails). Every step is skipped when already done, so the script can be re-run (e.g. to verify).
contract L2HandOver is Script {
    /// @notice anvil dev key 0 (standard test mnemonic) — devnet only: the genesis BAI_ADMIN.
    uint256 internal constant DEV_KEY_0 = 0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80;
    /// @notice OpenZeppelin AccessControl's DEFAULT_ADMIN_ROLE.
    bytes32 public constant DEFAULT_ADMIN_ROLE = 0x00;
    /// @notice ModelMarketplace / Staking / Curation GOVERNOR_ROLE.
    bytes32 public constant GOVERNOR_ROLE = keccak256("GOVERNOR_ROLE");
    /// @notice ModelMarketplace MODERATOR_ROLE.
    bytes32 public constant MODERATOR_ROLE = keccak256("MODERATOR_ROLE");
    /// @notice Staking / Curation SLASHER_ROLE.
    bytes32 public constant SLASHER_ROLE = keccak256("SLASHER_ROLE");
    /// @notice InferenceDisputes CHALLENGER_ROLE.
    bytes32 public constant CHALLENGER_ROLE = keccak256("CHALLENGER_ROLE");
    /// @notice ModelMarketplace GUARDIAN_ROLE (emergency pause only).
    bytes32 public constant GUARDIAN_ROLE = keccak256("GUARDIAN_ROLE");

    /// @notice One AccessControl role of one predeploy and what the hand-over does with it.
    struct RoleSpec {
        address target;
        string contractName;
        bytes32 role;
        string roleName;
        /// @dev true: admin / governance role, moves to the alias; false: operational, stays with its holders.
        bool toAlias;
    }

    /// @notice One Ownable2Step predeploy.
    struct OwnableSpec {
        address target;
        string contractName;
    }

    /// @notice Hand-over parameters.
    struct Config {
        /// @dev The account that holds the admin roles now (the genesis BAI_ADMIN); the signer.
        address admin;
        /// @dev The L1 timelock's aliased L2 address.
        address timelockAlias;
        /// @dev New treasury of ModelMarketplace, Staking and Curation; address(0) = unchanged.
        address treasury;
        /// @dev New recipient of the fee vaults; address(0) = unchanged.
        address feeRecipient;
        /// @dev Holder of ModelMarketplace's GUARDIAN_ROLE to appoint; address(0) = none.
        address guardian;
        /// @dev Renounce operational roles the admin holds instead of refusing to run.
        bool dropOperationalRoles;
        /// @dev Require the fee vaults' ownership to be accepted already (owner == alias).
        bool requireAccepted;
    }

    /// @notice Roles granted to the alias by the last {handOver} ("Contract.ROLE").
    string[] public granted;
    /// @notice Roles the admin renounced in the last {handOver}.
    string[] public renounced;
    /// @notice Ownable predeploys whose transfer to the alias the last {handOver} started.
    string[] public transfersStarted;
    /// @notice Other changes made by the last {handOver} (treasury, recipients, the guardian's grant).
    string[] public changed;

    /// @notice What the last {handOver} did.
    /// @return grantedRoles Roles granted to the alias.
    /// @return renouncedRoles Roles the admin renounced.
    /// @return transfers Ownable predeploys whose transfer to the alias started.
    /// @return changes Treasury / recipient changes and the guardian's grant ("ModelMarketplace.GUARDIAN_ROLE").
    function summary()
        external
        view
        returns (
            string[] memory grantedRoles,
            string[] memory renouncedRoles,
            string[] memory transfers,
            string[] memory changes
        )
    {
        return (granted, renounced, transfersStarted, changed);
    }

    /// @notice Every AccessControl role of every L2 predeploy and its fate (complete: L2HandOver.t.sol replays
    ///         every RoleGranted of the genesis and fails on a role missing here).
    /// @return r The roles, DEFAULT_ADMIN_ROLE first per contract.
    function roles() public pure returns (RoleSpec[] memory r) {
        r = new RoleSpec[](12);
        address mkt = Predeploys.MODEL_MARKETPLACE;
        address st = Predeploys.STAKING;
        address cur = Predeploys.CURATION;
        address disp = Predeploys.INFERENCE_DISPUTES;
        r[0] = RoleSpec(mkt, "ModelMarketplace", DEFAULT_ADMIN_ROLE, "DEFAULT_ADMIN_ROLE", true);
        r[1] = RoleSpec(mkt, "ModelMarketplace", GOVERNOR_ROLE, "GOVERNOR_ROLE", true);
        r[2] = RoleSpec(mkt, "ModelMarketplace", MODERATOR_ROLE, "MODERATOR_ROLE", true);
        r[3] = RoleSpec(mkt, "ModelMarketplace", GUARDIAN_ROLE, "GUARDIAN_ROLE", false);
        r[4] = RoleSpec(st, "Staking", DEFAULT_ADMIN_ROLE, "DEFAULT_ADMIN_ROLE", true);
        r[5] = RoleSpec(st, "Staking", GOVERNOR_ROLE, "GOVERNOR_ROLE", true);
        r[6] = RoleSpec(st, "Staking", SLASHER_ROLE, "SLASHER_ROLE", false);
        r[7] = RoleSpec(cur, "Curation", DEFAULT_ADMIN_ROLE, "DEFAULT_ADMIN_ROLE", true);
        r[8] = RoleSpec(cur, "Curation", GOVERNOR_ROLE, "GOVERNOR_ROLE", true);
        r[9] = RoleSpec(cur, "Curation", SLASHER_ROLE, "SLASHER_ROLE", false);
        r[10] = RoleSpec(disp, "InferenceDisputes", DEFAULT_ADMIN_ROLE, "DEFAULT_ADMIN_ROLE", true);
        r[11] = RoleSpec(disp, "InferenceDisputes", CHALLENGER_ROLE, "CHALLENGER_ROLE", false);
    }

    /// @notice Every Ownable (Ownable2Step) L2 predeploy: the three fee vaults.
    /// @return o The predeploys.
    function ownables() public pure returns (OwnableSpec[] memory o) {
        o = new OwnableSpec[](3);
        o[0] = OwnableSpec(Predeploys.SEQUENCER_FEE_VAULT, "SequencerFeeVault");
        o[1] = OwnableSpec(Predeploys.BASE_FEE_VAULT, "BaseFeeVault");
        o[2] = OwnableSpec(Predeploys.L1_FEE_VAULT, "L1FeeVault");
    }

    /// @notice Predeploys whose privileged functions only the protocol's depositor account
    ///         (0xDeaD…0001, system deposits) may call: no key, nothing to hand over, not reachable by governance.
    /// @return d The predeploys (L1Block, L2ToL1MessagePasser, InferenceWitnessStore).
    function depositorOnly() public pure returns (address[] memory d) {
        d = new address[](3);
        d[0] = Predeploys.L1_BLOCK_ATTRIBUTES;
        d[1] = Predeploys.L2_TO_L1_MESSAGE_PASSER;
        d[2] = Predeploys.INFERENCE_WITNESS_STORE;
    }

    /// @notice Entry point: reads the environment, hands over, checks, writes $BAI_L2_HANDOVER_OUT.
    /// @return c The parameters used.
    function run() external returns (Config memory c) {
        c = config();
        handOver(c);
        _write(c);
    }

    /// @notice Reads the parameters from the environment (see the contract notes).
    /// @return c The parameters.
    function config() public returns (Config memory c) {
        uint256 key = vm.envOr("BAI_L2_ADMIN_KEY", DEV_KEY_0);
        if (key == 0) key = DEV_KEY_0; // "0" = unset
        c.admin = vm.rememberKey(key);
        string memory govJson = vm.envOr("BAI_GOV_DEPLOY_OUT", string("out/governance-deploy.json"));
        c.timelockAlias = timelockAlias(vm.envOr("BAI_GOV_L2_ALIAS", address(0)), govJson);
        c.treasury = vm.envOr("BAI_L2_TREASURY", address(0));
        c.feeRecipient = vm.envOr("BAI_L2_FEE_RECIPIENT", address(0));
        c.guardian = vm.envOr("BAI_L2_GUARDIAN", address(0));
        c.dropOperationalRoles = vm.envOr("BAI_L2_DROP_OPERATIONAL_ROLES", false);
        c.requireAccepted = vm.envOr("BAI_L2_HANDOVER_REQUIRE_ACCEPTED", false);
    }

    /// @notice The alias: `fromEnv` when non-zero, else `timelockL2Alias` of the governance JSON at `govJsonPath`
    ///         (which must be the alias of the JSON's `TimelockController`).
    /// @param fromEnv $BAI_GOV_L2_ALIAS (0 = unset).
    /// @param govJsonPath DeployGovernance's output.
    /// @return a The alias.
    function timelockAlias(address fromEnv, string memory govJsonPath) public view returns (address a) {
        if (fromEnv != address(0)) return fromEnv;
        require(vm.exists(govJsonPath), "L2HandOver: no alias: set BAI_GOV_L2_ALIAS or BAI_GOV_DEPLOY_OUT");
        string memory json = vm.readFile(govJsonPath);
        require(vm.keyExistsJson(json, ".timelockL2Alias"), "L2HandOver: no timelockL2Alias in the governance JSON");
        a = vm.parseJsonAddress(json, ".timelockL2Alias");
        if (vm.keyExistsJson(json, ".TimelockController")) {
            address timelock = vm.parseJsonAddress(json, ".TimelockController");
            require(
                a == AddressAliasHelper.applyL1ToL2Alias(timelock),
                "L2HandOver: timelockL2Alias is not the alias of TimelockController"
            );
        }
    }

    /// @notice Hands everything over, broadcasting as `c.admin` (callable from tests); reverts unless
    ///         {checkHandOver} holds afterwards.
    /// @param c Parameters.
    function handOver(Config memory c) public {
        preflight(c);
        delete granted;
        delete renounced;
        delete transfersStarted;
        delete changed;
        RoleSpec[] memory r = roles();
        OwnableSpec[] memory o = ownables();

        vm.startBroadcast(c.admin);
        if (c.treasury != address(0)) _setTreasury(c.treasury);
        if (c.feeRecipient != address(0)) {
            for (uint256 i = 0; i < o.length; i++) {
                FeeVault v = FeeVault(payable(o[i].target));
                if (v.recipient() == c.feeRecipient) continue;
                v.setConfig(c.feeRecipient, v.minWithdrawalAmount(), v.withdrawalNetwork());
                changed.push(string.concat(o[i].contractName, ".recipient"));
            }
        }
        // 1. The alias gets every governance role it lacks.
        for (uint256 i = 0; i < r.length; i++) {
            if (!r[i].toAlias || IAccessControl(r[i].target).hasRole(r[i].role, c.timelockAlias)) continue;
            IAccessControl(r[i].target).grantRole(r[i].role, c.timelockAlias);
            granted.push(_name(r[i]));
        }
        // 1b. The guardian (operational: it stays with its holder, under the alias as DEFAULT_ADMIN_ROLE).
        IAccessControl mkt = IAccessControl(Predeploys.MODEL_MARKETPLACE);
        if (c.guardian != address(0) && !mkt.hasRole(GUARDIAN_ROLE, c.guardian)) {
            mkt.grantRole(GUARDIAN_ROLE, c.guardian);
            changed.push("ModelMarketplace.GUARDIAN_ROLE");
        }
        // 2. Ownable2Step: the alias becomes the pending owner (it accepts through a proposal).
        for (uint256 i = 0; i < o.length; i++) {
            FeeVault v = FeeVault(payable(o[i].target));
            if (v.owner() != c.admin || v.pendingOwner() == c.timelockAlias) continue;
            v.transferOwnership(c.timelockAlias);
            transfersStarted.push(o[i].contractName);
        }
        // 3. The admin renounces everything it holds, DEFAULT_ADMIN_ROLE last.
        for (uint256 pass = 0; pass < 2; pass++) {
            for (uint256 i = 0; i < r.length; i++) {
                if ((r[i].role == DEFAULT_ADMIN_ROLE) != (pass == 1)) continue;
                if (!IAccessControl(r[i].target).hasRole(r[i].role, c.admin)) continue;
                IAccessControl(r[i].target).renounceRole(r[i].role, c.admin);
                renounced.push(_name(r[i]));
            }
        }
        vm.stopBroadcast();

        checkHandOver(c);
    }

    /// @notice Pre-conditions (checked before anything is sent): the predeploys exist; the alias is a
    ///         non-zero address other than the admin; the guardian, if any, is neither the admin nor the alias,
    ///         and already holds GUARDIAN_ROLE or can be granted it by the admin; the admin holds no operational
    ///         role (unless `dropOperationalRoles`); every governance role the alias lacks can be granted by the
    ///         admin; every fee vault is owned by the admin or already by the alias; the optional treasury /
    ///         recipient changes are still in the admin's power.
    /// @param c Parameters.
    function preflight(Config memory c) public view {
        require(c.timelockAlias != address(0), "L2HandOver: zero alias");
        require(c.timelockAlias != c.admin, "L2HandOver: the alias is the admin");
        _checkGuardianAddress(c);
        if (c.guardian != address(0)) {
            IAccessControl mkt = IAccessControl(Predeploys.MODEL_MARKETPLACE);
            require(Predeploys.MODEL_MARKETPLACE.code.length != 0, "L2HandOver: no code at ModelMarketplace");
            require(
                mkt.hasRole(GUARDIAN_ROLE, c.guardian) || mkt.hasRole(mkt.getRoleAdmin(GUARDIAN_ROLE), c.admin),
                "L2HandOver: the admin cannot grant ModelMarketplace.GUARDIAN_ROLE to the guardian"
            );
        }
        RoleSpec[] memory r = roles();
        OwnableSpec[] memory o = ownables();
        for (uint256 i = 0; i < r.length; i++) {
            require(r[i].target.code.length != 0, string.concat("L2HandOver: no code at ", r[i].contractName));
            IAccessControl ac = IAccessControl(r[i].target);
            if (!r[i].toAlias) {
                require(
                    c.dropOperationalRoles || !ac.hasRole(r[i].role, c.admin),
                    string.concat(
                        "L2HandOver: the admin holds the operational role ",
                        _name(r[i]),
                        ": give it to its own key first, or set BAI_L2_DROP_OPERATIONAL_ROLES=true"
                    )
                );
            } else if (!ac.hasRole(r[i].role, c.timelockAlias)) {
                require(
                    ac.hasRole(ac.getRoleAdmin(r[i].role), c.admin),
                    string.concat("L2HandOver: the admin cannot grant ", _name(r[i]))
                );
            }
        }
        for (uint256 i = 0; i < o.length; i++) {
            require(o[i].target.code.length != 0, string.concat("L2HandOver: no code at ", o[i].contractName));
            address owner = FeeVault(payable(o[i].target)).owner();
            require(
                owner == c.admin || owner == c.timelockAlias,
                string.concat("L2HandOver: ", o[i].contractName, " is owned by neither the admin nor the alias")
            );
            if (c.feeRecipient != address(0) && FeeVault(payable(o[i].target)).recipient() != c.feeRecipient) {
                require(
                    owner == c.admin, string.concat("L2HandOver: cannot change the recipient of ", o[i].contractName)
                );
            }
        }
        if (c.treasury != address(0)) {
            address[3] memory t = [Predeploys.MODEL_MARKETPLACE, Predeploys.STAKING, Predeploys.CURATION];
            for (uint256 i = 0; i < t.length; i++) {
                require(
                    IAccessControl(t[i]).hasRole(GOVERNOR_ROLE, c.admin) || _treasury(t[i]) == c.treasury,
                    "L2HandOver: the admin is no longer a governor: cannot change the treasury"
                );
            }
        }
    }

    /// @notice Post-conditions; reverts with the first one that fails.
    ///         - every governance role is held by the alias and not by the admin; every operational role is not
    ///           held by the admin; every role's admin role is DEFAULT_ADMIN_ROLE (so the alias administers all);
    ///         - the guardian, if configured, is neither the admin nor the alias and holds GUARDIAN_ROLE;
    ///         - every fee vault: owner == alias and no pending owner, or (unless `requireAccepted`) owner ==
    ///           admin and pendingOwner == alias (acceptance pending);
    ///         - the treasury / recipients asked for are set.
    /// @param c Parameters.
    function checkHandOver(Config memory c) public view {
        require(c.timelockAlias != address(0) && c.timelockAlias != c.admin, "L2HandOver: bad alias");
        _checkGuardianAddress(c);
        if (c.guardian != address(0)) {
            require(
                IAccessControl(Predeploys.MODEL_MARKETPLACE).hasRole(GUARDIAN_ROLE, c.guardian),
                "L2HandOver: the guardian lacks ModelMarketplace.GUARDIAN_ROLE"
            );
        }
        RoleSpec[] memory r = roles();
        for (uint256 i = 0; i < r.length; i++) {
            IAccessControl ac = IAccessControl(r[i].target);
            string memory n = _name(r[i]);
            require(!ac.hasRole(r[i].role, c.admin), string.concat("L2HandOver: the admin still holds ", n));
            require(
                ac.getRoleAdmin(r[i].role) == DEFAULT_ADMIN_ROLE,
                string.concat("L2HandOver: unexpected role admin of ", n)
            );
            if (r[i].toAlias) {
                require(ac.hasRole(r[i].role, c.timelockAlias), string.concat("L2HandOver: the alias lacks ", n));
            }
        }
        OwnableSpec[] memory o = ownables();
        for (uint256 i = 0; i < o.length; i++) {
            FeeVault v = FeeVault(payable(o[i].target));
            (address owner, address pending) = (v.owner(), v.pendingOwner());
            if (owner == c.timelockAlias) {
                require(
                    pending == address(0), string.concat("L2HandOver: ", o[i].contractName, " has a pending owner")
                );
            } else {
                require(
                    !c.requireAccepted,
                    string.concat("L2HandOver: the alias has not accepted the ownership of ", o[i].contractName)
                );
                require(
                    owner == c.admin && pending == c.timelockAlias,
                    string.concat("L2HandOver: ", o[i].contractName, " is not being transferred to the alias")
                );
            }
            if (c.feeRecipient != address(0)) {
                require(
                    v.recipient() == c.feeRecipient,
                    string.concat("L2HandOver: ", o[i].contractName, " recipient not set")
                );
            }
        }
        if (c.treasury != address(0)) {
            require(
                _treasury(Predeploys.MODEL_MARKETPLACE) == c.treasury && _treasury(Predeploys.STAKING) == c.treasury
                    && _treasury(Predeploys.CURATION) == c.treasury,
                "L2HandOver: treasury not set"
            );
        }
    }

    /// @notice The fee vaults whose ownership the alias still has to accept (`acceptOwnership()` from the
    ///         alias: one L2 action per vault in a proposal).
    /// @param c Parameters.
    /// @return pending The vaults.
    function pendingAcceptance(Config memory c) public view returns (address[] memory pending) {
        OwnableSpec[] memory o = ownables();
        uint256 n;
        for (uint256 i = 0; i < o.length; i++) {
            if (FeeVault(payable(o[i].target)).pendingOwner() == c.timelockAlias) n++;
        }
        pending = new address[](n);
        n = 0;
        for (uint256 i = 0; i < o.length; i++) {
            if (FeeVault(payable(o[i].target)).pendingOwner() == c.timelockAlias) pending[n++] = o[i].target;
        }
    }

    /// @notice Payees that are still the previous admin (not roles: they receive funds but control nothing).
    /// @param c Parameters.
    /// @return w One line per such payee.
    function warnings(Config memory c) public view returns (string[] memory w) {
        string[] memory all = new string[](7);
        uint256 n;
        address[3] memory t = [Predeploys.MODEL_MARKETPLACE, Predeploys.STAKING, Predeploys.CURATION];
        string[3] memory names = ["ModelMarketplace", "Staking", "Curation"];
        for (uint256 i = 0; i < t.length; i++) {
            if (_treasury(t[i]) == c.admin) all[n++] = string.concat(names[i], ".treasury is the previous admin");
        }
        OwnableSpec[] memory o = ownables();
        for (uint256 i = 0; i < o.length; i++) {
            if (FeeVault(payable(o[i].target)).recipient() == c.admin) {
                all[n++] = string.concat(o[i].contractName, ".recipient is the previous admin");
            }
        }
        if (pendingAcceptance(c).length != 0) {
            all[n++] = "fee vaults: the previous admin stays owner until the alias accepts (acceptOwnership proposal)";
        }
        w = new string[](n);
        for (uint256 i = 0; i < n; i++) {
            w[i] = all[i];
        }
    }

    /// @dev The guardian must not be the old admin key (which keeps nothing) nor the alias (a governor already).
    function _checkGuardianAddress(Config memory c) private pure {
        if (c.guardian == address(0)) return;
        require(
            c.guardian != c.admin,
            "L2HandOver: the guardian is the admin: BAI_L2_GUARDIAN must not be the old admin key"
        );
        require(c.guardian != c.timelockAlias, "L2HandOver: the guardian is the alias (a governor can pause already)");
    }

    function _setTreasury(address t) private {
        ModelMarketplace mkt = ModelMarketplace(Predeploys.MODEL_MARKETPLACE);
        if (mkt.treasury() != t) {
            mkt.setWiring(t, address(mkt.staking()), address(mkt.curation()));
            changed.push("ModelMarketplace.treasury");
        }
        Staking st = Staking(payable(Predeploys.STAKING));
        if (st.treasury() != t) {
            st.setParams(st.minSelfStake(), st.unbondingPeriod(), st.slashJailDuration(), t);
            changed.push("Staking.treasury");
        }
        Curation cur = Curation(Predeploys.CURATION);
        if (cur.treasury() != t) {
            cur.setParams(cur.exitDelay(), t);
            changed.push("Curation.treasury");
        }
    }

    function _treasury(address target) private view returns (address) {
        (bool ok, bytes memory ret) = target.staticcall(abi.encodeWithSignature("treasury()"));
        require(ok && ret.length == 32, "L2HandOver: treasury()");
        return abi.decode(ret, (address));
    }

    function _name(RoleSpec memory s) private pure returns (string memory) {
        return string.concat(s.contractName, ".", s.roleName);
    }

    function _write(Config memory c) private {
        string memory out = vm.envOr("BAI_L2_HANDOVER_OUT", string("out/l2-handover.json"));
        (string[] memory toAlias, string[] memory kept) = _roleNames();
        string memory vaultsJson = _vaultsJson();
        string memory treasuriesJson = _treasuriesJson();
        string[] memory w = warnings(c);
        for (uint256 i = 0; i < w.length; i++) {
            console2.log("L2HandOver warning:", w[i]);
        }
        address[] memory pending = pendingAcceptance(c);

        string memory key = "bai-l2-handover";
        vm.serializeUint(key, "l2ChainId", block.chainid);
        vm.serializeAddress(key, "previousAdmin", c.admin);
        vm.serializeAddress(key, "timelockL2Alias", c.timelockAlias);
        vm.serializeAddress(key, "guardian", c.guardian);
        vm.serializeString(key, "toAlias", toAlias);
        vm.serializeString(key, "kept", kept);
        vm.serializeString(key, "granted", granted);
        vm.serializeString(key, "renounced", renounced);
        vm.serializeString(key, "ownershipTransfersStarted", transfersStarted);
        vm.serializeString(key, "changed", changed);
        vm.serializeString(key, "feeVaults", vaultsJson);
        vm.serializeString(key, "treasuries", treasuriesJson);
        vm.serializeAddress(key, "pendingAcceptance", pending);
        vm.serializeBytes(key, "acceptOwnershipCalldata", abi.encodeWithSignature("acceptOwnership()"));
        vm.serializeAddress(key, "depositorOnly", depositorOnly());
        vm.serializeString(key, "warnings", w);
        string memory json = vm.serializeBool(key, "complete", pending.length == 0);
        vm.writeJson(json, out);
    }

    function _roleNames() private pure returns (string[] memory toAlias, string[] memory kept) {
        RoleSpec[] memory r = roles();
        uint256 nAlias;
        for (uint256 i = 0; i < r.length; i++) {
            if (r[i].toAlias) nAlias++;
        }
        toAlias = new string[](nAlias);
        kept = new string[](r.length - nAlias);
        (uint256 a, uint256 k) = (0, 0);
        for (uint256 i = 0; i < r.length; i++) {
            if (r[i].toAlias) toAlias[a++] = _name(r[i]);
            else kept[k++] = _name(r[i]);
        }
    }

    function _vaultsJson() private returns (string memory json) {
        OwnableSpec[] memory o = ownables();
        for (uint256 i = 0; i < o.length; i++) {
            FeeVault v = FeeVault(payable(o[i].target));
            string memory k = string.concat("fee-vault-", o[i].contractName);
            vm.serializeAddress(k, "address", o[i].target);
            vm.serializeAddress(k, "owner", v.owner());
            vm.serializeAddress(k, "pendingOwner", v.pendingOwner());
            string memory one = vm.serializeAddress(k, "recipient", v.recipient());
            json = vm.serializeString("fee-vaults", o[i].contractName, one);
        }
    }

    function _treasuriesJson() private returns (string memory) {
        string memory k = "treasuries";
        vm.serializeAddress(k, "ModelMarketplace", _treasury(Predeploys.MODEL_MARKETPLACE));
        vm.serializeAddress(k, "Staking", _treasury(Predeploys.STAKING));
        return vm.serializeAddress(k, "Curation", _treasury(Predeploys.CURATION));
    }
}
