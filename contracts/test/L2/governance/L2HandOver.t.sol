// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {Vm} from "forge-std/Vm.sol";
import {stdJson} from "forge-std/StdJson.sol";
import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {IERC165} from "@openzeppelin/contracts/utils/introspection/IERC165.sol";
import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {IGovernor} from "@openzeppelin/contracts/governance/IGovernor.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {L2Base} from "../L2Base.t.sol";
import {GovernanceBase} from "../../L1/governance/GovernanceBase.t.sol";
import {L2Genesis} from "../../../script/L2Genesis.s.sol";
import {L2HandOver} from "../../../script/L2HandOver.s.sol";
import {Predeploys} from "../../../src/libraries/Predeploys.sol";
import {AddressAliasHelper} from "../../../src/libraries/AddressAliasHelper.sol";
import {BaiPortal} from "../../../src/L1/BaiPortal.sol";
import {FeeVault} from "../../../src/L2/FeeVault.sol";
import {ModelMarketplace} from "../../../src/L2/ModelMarketplace.sol";
import {Staking} from "../../../src/L2/Staking.sol";
import {Curation} from "../../../src/L2/Curation.sol";
import {InferenceDisputes} from "../../../src/L2/InferenceDisputes.sol";
import {IInferenceDisputes} from "../../../src/interfaces/IInferenceDisputes.sol";
import {MockInference} from "../../mocks/MockInference.sol";

/// @notice Shared helpers: the genesis predeploys, getters, and the hand-over script's view of them.
abstract contract L2HandOverHelpers {
    Vm private constant VM = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));

    function _vaults() internal pure returns (address[3] memory) {
        return [Predeploys.SEQUENCER_FEE_VAULT, Predeploys.BASE_FEE_VAULT, Predeploys.L1_FEE_VAULT];
    }

    /// Accepts the vaults' ownership as the alias: what the acceptance proposal's three L2 actions do.
    function _acceptVaults(address timelockAlias) internal {
        address[3] memory v = _vaults();
        for (uint256 i = 0; i < v.length; i++) {
            VM.prank(timelockAlias);
            FeeVault(payable(v[i])).acceptOwnership();
        }
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

/// (a) The hand-over script's logic on the real genesis (L2Genesis.build, as L2Base does, devnet models on):
///     every AccessControl role of every predeploy is enumerated from the RoleGranted / RoleRevoked events
///     recorded from the first genesis initialiser to the end of the hand-over and from every known role
///     constant, every owner-style getter of every predeploy is read, and nothing admin-level is left with the
///     old admin; the alias holds exactly the governance roles; operational roles did not move.
/// (b) Afterwards the old admin's governance calls revert; the alias changes bounded parameters within their
///     bounds only.
contract L2HandOverTest is L2Base, L2HandOverHelpers {
    using stdJson for string;

    bytes32 internal constant ROLE_GRANTED = keccak256("RoleGranted(bytes32,address,address)");
    bytes32 internal constant ROLE_REVOKED = keccak256("RoleRevoked(bytes32,address,address)");
    bytes32 internal constant OWNERSHIP_TRANSFERRED = keccak256("OwnershipTransferred(address,address)");
    bytes32 internal constant OWNERSHIP_TRANSFER_STARTED = keccak256("OwnershipTransferStarted(address,address)");

    address internal timelockAlias = AddressAliasHelper.applyL1ToL2Alias(makeAddr("l1Timelock"));
    /// The L2 emergency guardian ($BAI_L2_GUARDIAN), e.g. a security council.
    address internal guardian = makeAddr("l2Guardian");
    L2HandOver internal script;

    ModelMarketplace internal mkt = ModelMarketplace(Predeploys.MODEL_MARKETPLACE);
    Staking internal staking = Staking(payable(Predeploys.STAKING));
    Curation internal curation = Curation(Predeploys.CURATION);
    InferenceDisputes internal disputes = InferenceDisputes(Predeploys.INFERENCE_DISPUTES);

    /// A replayed role assignment.
    struct Holding {
        address emitter;
        bytes32 role;
        address account;
        bool held;
    }

    Holding[] internal holdings;

    function _devModels() internal pure override returns (bool) {
        return true;
    }

    /// The genesis is built inside each test (under vm.recordLogs), not here.
    function setUp() public override {
        script = new L2HandOver();
    }

    function _genesis() internal {
        L2Base.setUp();
    }

    function _config() internal view returns (L2HandOver.Config memory c) {
        c = L2HandOver.Config({
            admin: admin,
            timelockAlias: timelockAlias,
            treasury: address(0),
            feeRecipient: address(0),
            guardian: address(0),
            dropOperationalRoles: false,
            requireAccepted: false
        });
    }

    function _configWithGuardian() internal view returns (L2HandOver.Config memory c) {
        c = _config();
        c.guardian = guardian;
    }

    // ---------------------------------------------------------------------------------------------
    // (a) enumeration
    // ---------------------------------------------------------------------------------------------

    function test_handOver_leavesNothingWithAdmin() public {
        vm.recordLogs();
        _genesis();
        Vm.Log[] memory genesisLogs = vm.getRecordedLogs();
        _replay(genesisLogs);
        // The genesis as expected: the admin holds the 8 governance roles, the operational roles are with
        // their own holders.
        assertTrue(mkt.hasRole(mkt.MODERATOR_ROLE(), admin));
        assertTrue(staking.hasRole(staking.SLASHER_ROLE(), Predeploys.INFERENCE_DISPUTES));
        Holding[] memory atGenesis = holdings;
        assertEq(atGenesis.length, 12);
        assertFalse(mkt.hasRole(mkt.GUARDIAN_ROLE(), admin), "no GUARDIAN_ROLE holder at genesis");

        script.handOver(_configWithGuardian());
        assertEq(_summary(0), 8);
        assertEq(_summary(1), 8);
        assertEq(_summary(2), 3);
        assertEq(_summary(3), 1); // the guardian's grant
        // The only admin-level thing left with the admin: the vaults, until the alias accepts.
        _assertVaultsPending();
        // The proposal's L2 actions (acceptOwnership() from the alias), then the strict check.
        _acceptVaults(timelockAlias);
        L2HandOver.Config memory strict = _configWithGuardian();
        strict.requireAccepted = true;
        script.checkHandOver(strict);
        Vm.Log[] memory handOverLogs = vm.getRecordedLogs();
        _replay(handOverLogs);

        // 1. Every role ever granted (genesis through hand-over), replayed: the replay agrees with hasRole, every
        //    (contract, role) is classified by the script, nothing is with the admin, governance roles are
        //    held by the alias only, operational roles by exactly the genesis holders, and GUARDIAN_ROLE by the
        //    guardian only.
        L2HandOver.RoleSpec[] memory specs = script.roles();
        bytes32 guardianRole = mkt.GUARDIAN_ROLE();
        bool adminWasGranted;
        uint256 aliasHeld;
        uint256 guardianHeld;
        for (uint256 i = 0; i < holdings.length; i++) {
            Holding memory h = holdings[i];
            assertEq(IAccessControl(h.emitter).hasRole(h.role, h.account), h.held, "replay disagrees with hasRole");
            (bool known, bool toAlias) = _spec(specs, h.emitter, h.role);
            assertTrue(known, "a role the hand-over script does not classify");
            if (h.account == admin) {
                adminWasGranted = true;
                assertFalse(h.held, "the admin keeps a role");
                continue;
            }
            if (!h.held) continue;
            if (toAlias) {
                assertEq(h.account, timelockAlias, "a governance role held by someone other than the alias");
                aliasHeld++;
            } else if (h.emitter == Predeploys.MODEL_MARKETPLACE && h.role == guardianRole) {
                assertEq(h.account, guardian, "GUARDIAN_ROLE held by someone other than the guardian");
                guardianHeld++;
            } else {
                assertTrue(_heldAtGenesis(atGenesis, h), "an operational role moved");
            }
        }
        assertTrue(adminWasGranted);
        assertEq(aliasHeld, 8);
        assertEq(guardianHeld, 1);
        for (uint256 i = 0; i < atGenesis.length; i++) {
            (, bool toAlias) = _spec(specs, atGenesis[i].emitter, atGenesis[i].role);
            if (!toAlias) {
                assertTrue(
                    IAccessControl(atGenesis[i].emitter).hasRole(atGenesis[i].role, atGenesis[i].account),
                    "an operational holder lost its role"
                );
            }
        }

        // 2. Every known role constant of every AccessControl predeploy, for every account involved.
        _assertRoleConstants();

        // 3. Every predeploy: only the four known ones are AccessControl; every owner-style getter; every
        //    Ownable that ever emitted an ownership event is owned by the alias with nothing pending.
        address[] memory list = genesis.predeploys();
        string[9] memory getters = [
            "owner()",
            "pendingOwner()",
            "admin()",
            "governor()",
            "guardian()",
            "timelock()",
            "moderator()",
            "slasher()",
            "challenger()"
        ];
        uint256 owned;
        for (uint256 i = 0; i < list.length; i++) {
            address c = list[i];
            bool ac = c == Predeploys.MODEL_MARKETPLACE || c == Predeploys.STAKING || c == Predeploys.CURATION
                || c == Predeploys.INFERENCE_DISPUTES;
            assertEq(_isAccessControl(c), ac, "AccessControl predeploys");
            for (uint256 j = 0; j < getters.length; j++) {
                (bool ok, address a) = _getAddress(c, getters[j]);
                if (ok) assertTrue(a != admin, string.concat("the admin is ", getters[j]));
            }
            (bool hasOwner, address owner) = _getAddress(c, "owner()");
            if (hasOwner) {
                owned++;
                assertEq(owner, timelockAlias, "an Ownable not owned by the alias");
                (, address pending) = _getAddress(c, "pendingOwner()");
                assertEq(pending, address(0));
            }
            // Payees (not roles) are not the admin in this fixture either.
            (bool hasTreasury, address t) = _getAddress(c, "treasury()");
            if (hasTreasury) assertEq(t, treasury);
            (bool hasRecipient, address r) = _getAddress(c, "recipient()");
            if (hasRecipient) assertEq(r, feeRecipient);
        }
        assertEq(owned, 3, "the three fee vaults are the only Ownables");
        _assertOwnershipEvents(genesisLogs);
        _assertOwnershipEvents(handOverLogs);
    }

    /// Before the acceptance proposal runs, the three vault owners are the only thing left with the admin, the
    /// strict check fails, and the vaults are reported as pending.
    function test_handOver_vaultsPendingUntilAccepted() public {
        _genesis();
        script.handOver(_config());
        _assertVaultsPending();
        L2HandOver.Config memory strict = _config();
        strict.requireAccepted = true;
        vm.expectRevert("L2HandOver: the alias has not accepted the ownership of SequencerFeeVault");
        script.checkHandOver(strict);
        address[] memory pending = script.pendingAcceptance(_config());
        assertEq(pending.length, 3);
        assertEq(pending[0], Predeploys.SEQUENCER_FEE_VAULT);
        assertEq(pending[2], Predeploys.L1_FEE_VAULT);
        string[] memory w = script.warnings(_config());
        assertEq(w.length, 1);
        // Residual until then: the admin still configures the vaults (and could redirect the transfer).
        vm.prank(admin);
        FeeVault(payable(Predeploys.BASE_FEE_VAULT)).setConfig(feeRecipient, 1 ether, FeeVault.WithdrawalNetwork.L2);
        // Only the alias can accept.
        vm.prank(admin);
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, admin));
        FeeVault(payable(Predeploys.BASE_FEE_VAULT)).acceptOwnership();

        _acceptVaults(timelockAlias);
        script.checkHandOver(strict);
        assertEq(script.pendingAcceptance(_config()).length, 0);
        assertEq(script.warnings(_config()).length, 0);
    }

    // ---------------------------------------------------------------------------------------------
    // (b) after the hand-over
    // ---------------------------------------------------------------------------------------------

    function test_afterHandOver_adminRevertsAliasBounded() public {
        _genesis();
        script.handOver(_config());
        _acceptVaults(timelockAlias);
        bytes32 mid = genesis.MINILM_ID();

        // The old admin: every governance call reverts.
        bytes32 gov = mkt.GOVERNOR_ROLE();
        bytes32 mod = mkt.MODERATOR_ROLE();
        bytes32 slasherRole = staking.SLASHER_ROLE();
        bytes32 challengerRole = disputes.CHALLENGER_ROLE();
        vm.startPrank(admin);
        _expectUnauthorized(admin, gov);
        mkt.setPriceIncreaseDelay(2 days);
        _expectUnauthorized(admin, gov);
        mkt.pause();
        _expectUnauthorized(admin, gov);
        mkt.setWiring(admin, address(staking), address(curation));
        _expectUnauthorized(admin, mod);
        mkt.reassignModelId(mid, admin);
        vm.expectRevert(ModelMarketplace.NotModelOwner.selector);
        mkt.setActive(mid, false);
        _expectUnauthorized(admin, bytes32(0));
        mkt.grantRole(gov, admin);
        _expectUnauthorized(admin, gov);
        staking.setParams(100 ether, 7 days, 1 days, admin);
        _expectUnauthorized(admin, bytes32(0));
        staking.grantRole(slasherRole, admin);
        _expectUnauthorized(admin, gov);
        curation.setParams(3 days, admin);
        _expectUnauthorized(admin, bytes32(0));
        disputes.setParams(0.2e18, 1000);
        _expectUnauthorized(admin, bytes32(0));
        disputes.setSlashCap(3600, 1);
        _expectUnauthorized(admin, bytes32(0));
        disputes.grantRole(challengerRole, admin);
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, admin));
        FeeVault(payable(Predeploys.SEQUENCER_FEE_VAULT)).setConfig(admin, 0, FeeVault.WithdrawalNetwork.L2);
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, admin));
        FeeVault(payable(Predeploys.SEQUENCER_FEE_VAULT)).transferOwnership(admin);
        vm.stopPrank();

        // The alias (= a proposal's L2 action): within the bounds only.
        vm.startPrank(timelockAlias);
        mkt.setPriceIncreaseDelay(2 days);
        assertEq(mkt.priceIncreaseDelay(), 2 days);
        vm.expectRevert(
            abi.encodeWithSelector(ModelMarketplace.OutOfBounds.selector, 5 minutes, 10 minutes, 30 days)
        );
        mkt.setPriceIncreaseDelay(5 minutes);
        vm.expectRevert(abi.encodeWithSelector(ModelMarketplace.OutOfBounds.selector, 31 days, 10 minutes, 30 days));
        mkt.setPriceIncreaseDelay(31 days);
        assertEq(mkt.priceIncreaseDelay(), 2 days);

        staking.setParams(200 ether, 14 days, 2 days, treasury);
        assertEq(staking.minSelfStake(), 200 ether);
        vm.expectRevert(abi.encodeWithSelector(Staking.OutOfBounds.selector, 91 days, 604_800, 90 days));
        staking.setParams(200 ether, 91 days, 2 days, treasury);

        curation.setParams(5 days, treasury);
        vm.expectRevert(abi.encodeWithSelector(Curation.OutOfBounds.selector, 61 days, 1 hours, 60 days));
        curation.setParams(61 days, treasury);

        disputes.setSlashCap(3600, 1);
        assertEq(disputes.maxSlashesPerPeriod(), 1);
        vm.expectRevert(IInferenceDisputes.InvalidParams.selector);
        disputes.setParams(0.6e18, 1000);

        // Moderation and role administration are the alias's too: replace the challenger and the slasher.
        mkt.setActive(mid, false);
        assertTrue(mkt.moderatorPaused(mid));
        address newKey = makeAddr("newChallenger");
        disputes.grantRole(challengerRole, newKey);
        disputes.revokeRole(challengerRole, challenger);
        staking.revokeRole(slasherRole, slasher);
        assertTrue(disputes.hasRole(challengerRole, newKey));
        assertFalse(staking.hasRole(slasherRole, slasher));
        FeeVault(payable(Predeploys.SEQUENCER_FEE_VAULT)).setConfig(treasury, 0, FeeVault.WithdrawalNetwork.L1);
        assertEq(FeeVault(payable(Predeploys.SEQUENCER_FEE_VAULT)).recipient(), treasury);
        vm.stopPrank();

        // Operational roles still work where they were: the genesis slasher on Curation, the challenger's role.
        assertTrue(curation.hasRole(slasherRole, slasher));
        assertTrue(staking.hasRole(slasherRole, Predeploys.INFERENCE_DISPUTES));
    }

    /// The L2 emergency path after the hand-over: the guardian ($BAI_L2_GUARDIAN) pauses the marketplace at once
    /// (no proposal); paid calls and registrations then revert; it cannot lift the pause nor touch roles; the old
    /// admin and strangers cannot pause; the alias (a proposal) unpauses, revokes the guardian and appoints another.
    function test_guardian_afterHandOver_pausesAtOnce_aliasUnpausesAndRevokes() public {
        _genesis();
        script.handOver(_configWithGuardian());
        bytes32 gov = mkt.GOVERNOR_ROLE();
        bytes32 guardianRole = mkt.GUARDIAN_ROLE();
        assertTrue(mkt.hasRole(guardianRole, guardian));
        (bytes32 minilm, bytes32 smollm, bytes32 topic) =
            (genesis.MINILM_ID(), genesis.SMOLLM_ID(), genesis.TOPIC_CLASSIFIER_ID());
        address user = makeAddr("user");
        vm.deal(user, 10 ether);
        vm.prank(user);
        mkt.embed{value: 0.001 ether}(minilm, "before");

        // Strangers and the old admin cannot pause.
        address stranger = makeAddr("stranger");
        vm.prank(stranger);
        _expectUnauthorized(stranger, gov);
        mkt.pause();
        vm.prank(admin);
        _expectUnauthorized(admin, gov);
        mkt.pause();

        // The guardian: at once.
        vm.expectEmit(address(mkt));
        emit Pausable.Paused(guardian);
        vm.prank(guardian);
        mkt.pause();
        assertTrue(mkt.paused());
        vm.startPrank(user);
        vm.expectRevert(Pausable.EnforcedPause.selector);
        mkt.embed{value: 0.001 ether}(minilm, "during");
        vm.expectRevert(Pausable.EnforcedPause.selector);
        mkt.generate{value: 0.002 ether}(smollm, "during", 4);
        vm.expectRevert(Pausable.EnforcedPause.selector);
        mkt.infer{value: 0.0005 ether}(topic, "during", 1);
        ModelMarketplace.ModelParams memory mp = ModelMarketplace.ModelParams({
            kind: 1,
            maxInputBytes: 64,
            maxUnits: 1,
            baseGas: 50_000,
            gasPerUnit: 500,
            gasPerInputByte: 16,
            toleranceBps: 0,
            price: 0,
            operator: address(0)
        });
        vm.expectRevert(Pausable.EnforcedPause.selector);
        mkt.registerModel(keccak256("new model"), mp, "new");
        vm.stopPrank();

        // Pause only: no unpause, no role administration, no governance call.
        vm.startPrank(guardian);
        _expectUnauthorized(guardian, gov);
        mkt.unpause();
        _expectUnauthorized(guardian, bytes32(0));
        mkt.grantRole(guardianRole, stranger);
        _expectUnauthorized(guardian, bytes32(0));
        mkt.revokeRole(gov, timelockAlias);
        _expectUnauthorized(guardian, gov);
        mkt.setPriceIncreaseDelay(2 days);
        vm.stopPrank();
        vm.prank(admin);
        _expectUnauthorized(admin, gov);
        mkt.unpause();

        // Governance (the alias, i.e. a proposal's L2 action) lifts the pause; calls work again.
        vm.expectEmit(address(mkt));
        emit Pausable.Unpaused(timelockAlias);
        vm.prank(timelockAlias);
        mkt.unpause();
        vm.prank(user);
        mkt.embed{value: 0.001 ether}(minilm, "after");

        // Governance revokes the guardian and appoints another; the old one is a stranger again.
        address council2 = makeAddr("council2");
        vm.startPrank(timelockAlias);
        mkt.revokeRole(guardianRole, guardian);
        mkt.grantRole(guardianRole, council2);
        vm.stopPrank();
        vm.prank(guardian);
        _expectUnauthorized(guardian, gov);
        mkt.pause();
        vm.prank(council2);
        mkt.pause();
        assertTrue(mkt.paused());
        // A governor still pauses too (already paused here: Pausable refuses a second pause).
        vm.prank(timelockAlias);
        vm.expectRevert(Pausable.EnforcedPause.selector);
        mkt.pause();

        // The script's post-conditions follow the new guardian; the old admin could not appoint one any more.
        L2HandOver.Config memory c = _configWithGuardian();
        vm.expectRevert("L2HandOver: the guardian lacks ModelMarketplace.GUARDIAN_ROLE");
        script.checkHandOver(c);
        vm.expectRevert("L2HandOver: the admin cannot grant ModelMarketplace.GUARDIAN_ROLE to the guardian");
        script.handOver(c);
        c.guardian = council2;
        script.checkHandOver(c);
        script.handOver(c); // re-run: nothing to do
        assertEq(_summary(3), 0);
    }

    // ---------------------------------------------------------------------------------------------
    // Script behaviour: re-runs, partial states, refusals, optional payees
    // ---------------------------------------------------------------------------------------------

    /// A second run changes nothing; a run after the e2e suite's partial hand-over (the marketplace's
    /// GOVERNOR_ROLE already moved) completes the rest.
    function test_handOver_rerunAndPartialState() public {
        _genesis();
        bytes32 gov = mkt.GOVERNOR_ROLE();
        vm.startPrank(admin);
        mkt.grantRole(gov, timelockAlias);
        mkt.renounceRole(gov, admin);
        FeeVault(payable(Predeploys.L1_FEE_VAULT)).transferOwnership(timelockAlias);
        vm.stopPrank();
        vm.prank(timelockAlias);
        FeeVault(payable(Predeploys.L1_FEE_VAULT)).acceptOwnership();

        script.handOver(_config());
        assertEq(_summary(0), 7);
        assertEq(_summary(1), 7);
        assertEq(_summary(2), 2);
        assertEq(script.pendingAcceptance(_config()).length, 2);

        script.handOver(_config());
        assertEq(_summary(0), 0);
        assertEq(_summary(1), 0);
        assertEq(_summary(2), 0);
        _acceptVaults2();
        L2HandOver.Config memory strict = _config();
        strict.requireAccepted = true;
        script.handOver(strict); // re-run after acceptance = verification only
        assertEq(_summary(0), 0);
    }

    function test_handOver_refusals() public {
        _genesis();
        L2HandOver.Config memory c = _config();

        c.timelockAlias = address(0);
        vm.expectRevert("L2HandOver: zero alias");
        script.handOver(c);
        c.timelockAlias = admin;
        vm.expectRevert("L2HandOver: the alias is the admin");
        script.handOver(c);
        c = _config();

        // The guardian must not be the old admin key (nor the alias, a governor already).
        c.guardian = admin;
        vm.expectRevert("L2HandOver: the guardian is the admin: BAI_L2_GUARDIAN must not be the old admin key");
        script.handOver(c);
        vm.expectRevert("L2HandOver: the guardian is the admin: BAI_L2_GUARDIAN must not be the old admin key");
        script.checkHandOver(c);
        c.guardian = timelockAlias;
        vm.expectRevert("L2HandOver: the guardian is the alias (a governor can pause already)");
        script.handOver(c);
        assertFalse(mkt.hasRole(mkt.GUARDIAN_ROLE(), admin));
        assertFalse(mkt.hasRole(mkt.GUARDIAN_ROLE(), timelockAlias));
        c = _config();

        // Not the admin.
        c.admin = makeAddr("stranger");
        vm.expectRevert("L2HandOver: the admin cannot grant ModelMarketplace.DEFAULT_ADMIN_ROLE");
        script.handOver(c);
        c = _config();

        // A vault owned by a third party.
        vm.prank(admin);
        FeeVault(payable(Predeploys.BASE_FEE_VAULT)).transferOwnership(slasher);
        vm.prank(slasher);
        FeeVault(payable(Predeploys.BASE_FEE_VAULT)).acceptOwnership();
        vm.expectRevert("L2HandOver: BaseFeeVault is owned by neither the admin nor the alias");
        script.handOver(c);
        vm.prank(slasher);
        FeeVault(payable(Predeploys.BASE_FEE_VAULT)).transferOwnership(admin);
        vm.prank(admin);
        FeeVault(payable(Predeploys.BASE_FEE_VAULT)).acceptOwnership();

        // The admin also holds an operational role: refused unless asked to drop it.
        bytes32 slasherRole = staking.SLASHER_ROLE();
        vm.prank(admin);
        staking.grantRole(slasherRole, admin);
        vm.expectRevert(
            bytes(
                string.concat(
                    "L2HandOver: the admin holds the operational role Staking.SLASHER_ROLE: give it to its own key ",
                    "first, or set BAI_L2_DROP_OPERATIONAL_ROLES=true"
                )
            )
        );
        script.handOver(c);
        // Nothing was changed by the refused runs.
        assertTrue(mkt.hasRole(bytes32(0), admin));
        assertFalse(mkt.hasRole(bytes32(0), timelockAlias));
        assertEq(FeeVault(payable(Predeploys.BASE_FEE_VAULT)).pendingOwner(), address(0));

        c.dropOperationalRoles = true;
        script.handOver(c);
        assertFalse(staking.hasRole(slasherRole, admin));
        assertTrue(staking.hasRole(slasherRole, slasher), "the real slasher keeps its role");
        assertFalse(staking.hasRole(slasherRole, timelockAlias), "operational roles are not given to the alias");
        assertEq(_summary(1), 9);

        // A post-condition that fails reverts the whole run (the alias lost a role after a previous run).
        bytes32 mod = mkt.MODERATOR_ROLE();
        vm.prank(timelockAlias);
        mkt.renounceRole(mod, timelockAlias);
        vm.expectRevert("L2HandOver: the admin cannot grant ModelMarketplace.MODERATOR_ROLE");
        script.handOver(c);
        vm.expectRevert("L2HandOver: the alias lacks ModelMarketplace.MODERATOR_ROLE");
        script.checkHandOver(c);
    }

    /// Optional treasury / fee recipient changes, made while the admin still can.
    function test_handOver_treasuryAndRecipient() public {
        _genesis();
        L2HandOver.Config memory c = _config();
        address newTreasury = makeAddr("daoTreasury");
        address newRecipient = makeAddr("feeSink");
        c.treasury = newTreasury;
        c.feeRecipient = newRecipient;
        uint256 unbonding = staking.unbondingPeriod();
        script.handOver(c);
        assertEq(mkt.treasury(), newTreasury);
        assertEq(address(mkt.staking()), Predeploys.STAKING);
        assertEq(address(mkt.curation()), Predeploys.CURATION);
        assertEq(staking.treasury(), newTreasury);
        assertEq(staking.unbondingPeriod(), unbonding);
        assertEq(curation.treasury(), newTreasury);
        assertEq(curation.exitDelay(), p.curationExitDelay);
        address[3] memory v = _vaults();
        for (uint256 i = 0; i < v.length; i++) {
            assertEq(FeeVault(payable(v[i])).recipient(), newRecipient);
            assertEq(uint8(FeeVault(payable(v[i])).withdrawalNetwork()), uint8(FeeVault.WithdrawalNetwork.L2));
        }
        assertEq(_summary(3), 6);
        // Once the admin is no longer a governor, a different treasury is refused up front.
        c.treasury = makeAddr("other");
        vm.expectRevert("L2HandOver: the admin is no longer a governor: cannot change the treasury");
        script.handOver(c);
    }

    /// The devnet defaults through run(): signer = anvil key 0 = genesis BAI_ADMIN (also treasury and fee
    /// recipient there: reported as warnings), alias from the environment, JSON written. The only test that
    /// sets these environment variables.
    function test_run_devnetDefaults_env_json() public {
        L2Genesis g = new L2Genesis();
        L2Genesis.Params memory dp = g.params();
        g.build(dp);
        vm.etch(Predeploys.BAI_INFERENCE, address(new MockInference()).code);
        address dev0 = 0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266;
        assertEq(dp.admin, dev0);

        string memory out = string.concat(vm.projectRoot(), "/out/l2-handover.test.json");
        vm.setEnv("BAI_GOV_L2_ALIAS", vm.toString(timelockAlias));
        vm.setEnv("BAI_L2_GUARDIAN", vm.toString(guardian));
        vm.setEnv("BAI_L2_HANDOVER_OUT", out);
        L2HandOver.Config memory c = script.run();
        vm.setEnv("BAI_GOV_L2_ALIAS", vm.toString(address(0)));
        vm.setEnv("BAI_L2_GUARDIAN", vm.toString(address(0)));
        vm.setEnv("BAI_L2_HANDOVER_OUT", "out/l2-handover.json");
        assertEq(c.admin, dev0);
        assertEq(c.timelockAlias, timelockAlias);
        assertEq(c.guardian, guardian);
        assertTrue(mkt.hasRole(mkt.GUARDIAN_ROLE(), guardian));
        assertEq(c.treasury, address(0));
        assertFalse(c.requireAccepted);

        string memory json = vm.readFile(out);
        assertEq(json.readAddress(".previousAdmin"), dev0);
        assertEq(json.readAddress(".timelockL2Alias"), timelockAlias);
        assertEq(json.readAddress(".guardian"), guardian);
        assertEq(json.readUint(".l2ChainId"), block.chainid);
        assertEq(json.readStringArray(".toAlias").length, 8);
        assertEq(json.readStringArray(".kept").length, 4);
        assertEq(json.readStringArray(".kept")[0], "ModelMarketplace.GUARDIAN_ROLE");
        assertEq(json.readStringArray(".kept")[1], "Staking.SLASHER_ROLE");
        assertEq(json.readStringArray(".changed").length, 1);
        assertEq(json.readStringArray(".changed")[0], "ModelMarketplace.GUARDIAN_ROLE");
        assertEq(json.readStringArray(".granted").length, 8);
        assertEq(json.readStringArray(".renounced").length, 8);
        assertEq(json.readStringArray(".renounced")[7], "InferenceDisputes.DEFAULT_ADMIN_ROLE");
        assertEq(json.readStringArray(".ownershipTransfersStarted").length, 3);
        assertEq(json.readAddressArray(".pendingAcceptance").length, 3);
        assertEq(json.readBytes(".acceptOwnershipCalldata"), abi.encodeWithSignature("acceptOwnership()"));
        assertEq(json.readAddressArray(".depositorOnly").length, 3);
        assertEq(json.readAddress(".feeVaults.SequencerFeeVault.owner"), dev0);
        assertEq(json.readAddress(".feeVaults.SequencerFeeVault.pendingOwner"), timelockAlias);
        assertEq(json.readAddress(".feeVaults.L1FeeVault.recipient"), dev0);
        assertEq(json.readAddress(".treasuries.Staking"), dev0);
        // 3 treasuries + 3 recipients are dev #0, and the vaults are pending.
        assertEq(json.readStringArray(".warnings").length, 7);
        assertFalse(json.readBool(".complete"));
        assertTrue(mkt.hasRole(mkt.GOVERNOR_ROLE(), timelockAlias));
        assertFalse(mkt.hasRole(mkt.GOVERNOR_ROLE(), dev0));
    }

    /// The alias from DeployGovernance's JSON (checked against its TimelockController); the env wins.
    function test_timelockAlias_fromGovernanceJson() public {
        address timelock = makeAddr("l1Timelock");
        string memory path = string.concat(vm.projectRoot(), "/out/l2-handover-gov.test.json");
        string memory k = "l2-handover-gov-test";
        vm.serializeAddress(k, "TimelockController", timelock);
        vm.writeJson(vm.serializeAddress(k, "timelockL2Alias", timelockAlias), path);
        assertEq(script.timelockAlias(address(0), path), timelockAlias);
        unchecked {
            assertEq(timelockAlias, address(uint160(timelock) + uint160(0x1111000000000000000000000000000000001111)));
        }
        assertEq(script.timelockAlias(address(0xA11A5), path), address(0xA11A5));

        string memory bad = string.concat(vm.projectRoot(), "/out/l2-handover-gov-bad.test.json");
        string memory k2 = "l2-handover-gov-bad";
        vm.serializeAddress(k2, "TimelockController", makeAddr("otherTimelock"));
        vm.writeJson(vm.serializeAddress(k2, "timelockL2Alias", timelockAlias), bad);
        vm.expectRevert("L2HandOver: timelockL2Alias is not the alias of TimelockController");
        script.timelockAlias(address(0), bad);

        vm.expectRevert("L2HandOver: no alias: set BAI_GOV_L2_ALIAS or BAI_GOV_DEPLOY_OUT");
        script.timelockAlias(address(0), string.concat(vm.projectRoot(), "/out/does-not-exist.json"));
    }

    /// A genesis generated with BAI_ADMIN = the alias (possible when L1 governance exists before the L2 genesis)
    /// already satisfies the strict post-conditions: nothing to hand over, nothing to accept.
    function test_genesisWithAliasAsAdmin_needsNoHandOver() public {
        genesis = new L2Genesis();
        L2Genesis.Params memory gp = genesis.params();
        gp.admin = timelockAlias;
        genesis.build(gp);
        L2HandOver.Config memory c = _config();
        c.requireAccepted = true;
        script.checkHandOver(c);
        script.handOver(c);
        assertEq(_summary(0) + _summary(1) + _summary(2) + _summary(3), 0);
        assertEq(script.pendingAcceptance(c).length, 0);
    }

    /// The script's role constants are the contracts' own.
    function test_roleConstantsMatchContracts() public {
        _genesis();
        assertEq(script.GOVERNOR_ROLE(), mkt.GOVERNOR_ROLE());
        assertEq(script.GOVERNOR_ROLE(), staking.GOVERNOR_ROLE());
        assertEq(script.GOVERNOR_ROLE(), curation.GOVERNOR_ROLE());
        assertEq(script.MODERATOR_ROLE(), mkt.MODERATOR_ROLE());
        assertEq(script.SLASHER_ROLE(), staking.SLASHER_ROLE());
        assertEq(script.SLASHER_ROLE(), curation.SLASHER_ROLE());
        assertEq(script.CHALLENGER_ROLE(), disputes.CHALLENGER_ROLE());
        assertEq(script.GUARDIAN_ROLE(), mkt.GUARDIAN_ROLE());
        assertEq(script.DEFAULT_ADMIN_ROLE(), mkt.DEFAULT_ADMIN_ROLE());
        assertEq(script.roles().length, 12);
        assertEq(script.ownables().length, 3);
    }

    // ---------------------------------------------------------------------------------------------
    // helpers
    // ---------------------------------------------------------------------------------------------

    function _assertVaultsPending() internal view {
        address[3] memory v = _vaults();
        for (uint256 i = 0; i < v.length; i++) {
            assertEq(FeeVault(payable(v[i])).owner(), admin);
            assertEq(FeeVault(payable(v[i])).pendingOwner(), timelockAlias);
        }
    }

    function _acceptVaults2() internal {
        address[3] memory v = _vaults();
        for (uint256 i = 0; i < v.length; i++) {
            if (FeeVault(payable(v[i])).pendingOwner() != timelockAlias) continue;
            vm.prank(timelockAlias);
            FeeVault(payable(v[i])).acceptOwnership();
        }
    }

    function _assertRoleConstants() internal view {
        address[4] memory acs =
            [Predeploys.MODEL_MARKETPLACE, Predeploys.STAKING, Predeploys.CURATION, Predeploys.INFERENCE_DISPUTES];
        bytes32[6] memory constants = [
            bytes32(0), keccak256("GOVERNOR_ROLE"), keccak256("MODERATOR_ROLE"), keccak256("SLASHER_ROLE"),
            keccak256("CHALLENGER_ROLE"), keccak256("GUARDIAN_ROLE")
        ];
        address[] memory accounts = new address[](17);
        accounts[0] = admin;
        accounts[1] = timelockAlias;
        accounts[2] = address(0);
        accounts[3] = slasher;
        accounts[4] = challenger;
        accounts[5] = treasury;
        accounts[6] = feeRecipient;
        accounts[7] = Predeploys.INFERENCE_DISPUTES;
        accounts[8] = Predeploys.DEPOSITOR_ACCOUNT;
        accounts[9] = AddressAliasHelper.undoL1ToL2Alias(timelockAlias);
        accounts[10] = 0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266; // dev #0
        accounts[11] = 0x70997970C51812dc3A010C7d01b50e0d17dc79C8; // dev #1
        accounts[12] = 0x23618e81E3f5cdF7f54C3d65f7FBc0aBf5B21E8f; // dev #8 (model owner)
        accounts[13] = 0xa0Ee7A142d267C1f36714E4a8F75612F20a79720; // dev #9 (operator)
        accounts[14] = address(genesis);
        accounts[15] = address(script);
        accounts[16] = guardian;
        for (uint256 i = 0; i < acs.length; i++) {
            IAccessControl ac = IAccessControl(acs[i]);
            for (uint256 j = 0; j < constants.length; j++) {
                bytes32 role = constants[j];
                assertEq(ac.getRoleAdmin(role), bytes32(0));
                // DEFAULT_ADMIN_ROLE everywhere; GOVERNOR_ROLE on the marketplace, Staking and Curation;
                // MODERATOR_ROLE on the marketplace.
                bool governance = role == bytes32(0)
                    || (role == constants[1] && acs[i] != Predeploys.INFERENCE_DISPUTES)
                    || (role == constants[2] && acs[i] == Predeploys.MODEL_MARKETPLACE);
                for (uint256 k = 0; k < accounts.length; k++) {
                    address a = accounts[k];
                    bool expected;
                    if (a == timelockAlias) expected = governance;
                    else if (role == constants[3] && a == slasher) {
                        expected = acs[i] == Predeploys.STAKING || acs[i] == Predeploys.CURATION;
                    } else if (role == constants[3] && a == Predeploys.INFERENCE_DISPUTES) {
                        expected = acs[i] == Predeploys.STAKING;
                    } else if (role == constants[4] && a == challenger) {
                        expected = acs[i] == Predeploys.INFERENCE_DISPUTES;
                    } else if (role == constants[5] && a == guardian) {
                        expected = acs[i] == Predeploys.MODEL_MARKETPLACE;
                    }
                    assertEq(ac.hasRole(role, a), expected, "role constant check");
                }
            }
        }
    }

    function _assertOwnershipEvents(Vm.Log[] memory logs) internal view {
        for (uint256 i = 0; i < logs.length; i++) {
            if (logs[i].topics.length == 0) continue;
            bytes32 sig = logs[i].topics[0];
            if (sig != OWNERSHIP_TRANSFERRED && sig != OWNERSHIP_TRANSFER_STARTED) continue;
            // Only the predeploys: the genesis also creates each contract once to copy its runtime code.
            if (!_isPredeploy(logs[i].emitter)) continue;
            (bool ok, address owner) = _getAddress(logs[i].emitter, "owner()");
            assertTrue(ok);
            assertEq(owner, timelockAlias);
        }
    }

    function _isPredeploy(address a) internal view returns (bool) {
        address[] memory list = genesis.predeploys();
        for (uint256 i = 0; i < list.length; i++) {
            if (list[i] == a) return true;
        }
        return false;
    }

    function _replay(Vm.Log[] memory logs) internal {
        for (uint256 i = 0; i < logs.length; i++) {
            if (logs[i].topics.length < 3) continue;
            bytes32 sig = logs[i].topics[0];
            if (sig != ROLE_GRANTED && sig != ROLE_REVOKED) continue;
            address emitter = logs[i].emitter;
            bytes32 role = logs[i].topics[1];
            address account = address(uint160(uint256(logs[i].topics[2])));
            bool found;
            for (uint256 j = 0; j < holdings.length; j++) {
                Holding storage h = holdings[j];
                if (h.emitter == emitter && h.role == role && h.account == account) {
                    h.held = sig == ROLE_GRANTED;
                    found = true;
                    break;
                }
            }
            if (!found) {
                assertEq(sig, ROLE_GRANTED, "revoked before granted");
                holdings.push(Holding(emitter, role, account, true));
            }
        }
    }

    function _spec(L2HandOver.RoleSpec[] memory specs, address emitter, bytes32 role)
        internal
        pure
        returns (bool known, bool toAlias)
    {
        for (uint256 i = 0; i < specs.length; i++) {
            if (specs[i].target == emitter && specs[i].role == role) return (true, specs[i].toAlias);
        }
    }

    function _heldAtGenesis(Holding[] memory atGenesis, Holding memory h) internal pure returns (bool) {
        for (uint256 i = 0; i < atGenesis.length; i++) {
            if (
                atGenesis[i].emitter == h.emitter && atGenesis[i].role == h.role && atGenesis[i].account == h.account
                    && atGenesis[i].held
            ) return true;
        }
        return false;
    }

    function _expectUnauthorized(address who, bytes32 role) internal {
        vm.expectRevert(abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, who, role));
    }

    /// Number of entries of one of the script's summary lists (0 granted, 1 renounced, 2 transfers, 3 changes).
    function _summary(uint256 which) internal view returns (uint256) {
        (string[] memory g, string[] memory r, string[] memory t, string[] memory c) = script.summary();
        if (which == 0) return g.length;
        if (which == 1) return r.length;
        if (which == 2) return t.length;
        return c.length;
    }
}

/// (c) The whole path on the real L1 governance (GovernanceBase: DeployL1 + DeployGovernance) and the real L2
///     genesis in one EVM: the hand-over to applyL1ToL2Alias(timelock); a proposal whose actions are portal
///     deposits accepts the three fee vaults and sets the marketplace's price-increase delay; the deposits
///     (replayed from TransactionDeposited as the node would) run on L2 from the alias; afterwards the strict
///     check passes. An out-of-bounds L2 action executes on L1 but fails on L2 and changes nothing.
contract L2HandOverProposalTest is GovernanceBase, L2HandOverHelpers {
    bytes32 internal constant TRANSACTION_DEPOSITED = keccak256("TransactionDeposited(address,address,uint256,bytes)");
    address internal l2Admin = makeAddr("l2Admin");
    address internal l2Guardian = makeAddr("l2Guardian");
    address internal timelockAlias;
    L2HandOver internal script;
    ModelMarketplace internal mkt = ModelMarketplace(Predeploys.MODEL_MARKETPLACE);

    function setUp() public override {
        super.setUp();
        L2Genesis g = new L2Genesis();
        L2Genesis.Params memory lp = g.params();
        lp.admin = l2Admin;
        lp.treasury = makeAddr("l2Treasury");
        lp.feeRecipient = makeAddr("l2FeeRecipient");
        lp.slasher = makeAddr("l2Slasher");
        lp.challenger = makeAddr("l2Challenger");
        lp.devModels = false;
        g.build(lp);
        timelockAlias = AddressAliasHelper.applyL1ToL2Alias(address(timelock));
        script = new L2HandOver();
        script.handOver(_l2Config(false));
    }

    function _l2Config(bool requireAccepted) internal view returns (L2HandOver.Config memory) {
        return L2HandOver.Config({
            admin: l2Admin,
            timelockAlias: timelockAlias,
            treasury: address(0),
            feeRecipient: address(0),
            guardian: l2Guardian,
            dropOperationalRoles: false,
            requireAccepted: requireAccepted
        });
    }

    function _deposit(address l2Target, bytes memory l2Call) internal pure returns (bytes memory) {
        return abi.encodeCall(BaiPortal.depositTransaction, (l2Target, 0, 200_000, false, l2Call));
    }

    function test_proposal_acceptsVaults_andSetsBoundedParameter() public {
        Proposal memory p;
        p.targets = new address[](4);
        p.values = new uint256[](4);
        p.calldatas = new bytes[](4);
        address[3] memory v = _vaults();
        for (uint256 i = 0; i < v.length; i++) {
            p.targets[i] = address(portal);
            p.calldatas[i] = _deposit(v[i], abi.encodeWithSignature("acceptOwnership()"));
        }
        p.targets[3] = address(portal);
        p.calldatas[3] = _deposit(address(mkt), abi.encodeCall(ModelMarketplace.setPriceIncreaseDelay, (2 days)));
        p.description = "BIP-L2-1: accept the L2 fee vaults; price increases wait 2 days";
        _passAndQueue(p);
        vm.warp(block.timestamp + TIMELOCK_DELAY);
        vm.recordLogs();
        _execute(p);
        uint256 ran = _runDeposits(vm.getRecordedLogs(), true);
        assertEq(ran, 4);

        assertEq(mkt.priceIncreaseDelay(), 2 days);
        for (uint256 i = 0; i < v.length; i++) {
            assertEq(FeeVault(payable(v[i])).owner(), timelockAlias);
        }
        script.checkHandOver(_l2Config(true));
        assertEq(script.pendingAcceptance(_l2Config(true)).length, 0);
    }

    function test_proposal_outOfBoundsL2Action_failsOnL2Only() public {
        Proposal memory p = _one(
            address(portal),
            _deposit(address(mkt), abi.encodeCall(ModelMarketplace.setPriceIncreaseDelay, (31 days))),
            "BIP-L2-2: an out-of-bounds delay"
        );
        uint256 id = _passAndQueue(p);
        vm.warp(block.timestamp + TIMELOCK_DELAY);
        vm.recordLogs();
        _execute(p);
        // Executed on L1 (the deposit is emitted) ...
        assertEq(uint256(governor.state(id)), uint256(IGovernor.ProposalState.Executed));
        // ... but the L2 call reverts and changes nothing: follow-ups must check the L2 receipt.
        assertEq(_runDeposits(vm.getRecordedLogs(), false), 1);
        assertEq(mkt.priceIncreaseDelay(), mkt.DEFAULT_PRICE_INCREASE_DELAY());
        // The old L2 admin cannot do it either.
        bytes32 gov = mkt.GOVERNOR_ROLE();
        vm.prank(l2Admin);
        vm.expectRevert(abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, l2Admin, gov));
        mkt.setPriceIncreaseDelay(2 days);
    }

    /// The guardian pauses the L2 marketplace at once; only a proposal lifts the pause: its deposits (from the
    /// timelock's alias) unpause, revoke the guardian and appoint a new one.
    function test_proposal_liftsGuardianPause_andReplacesGuardian() public {
        bytes32 guardianRole = mkt.GUARDIAN_ROLE();
        bytes32 gov = mkt.GOVERNOR_ROLE();
        assertTrue(mkt.hasRole(guardianRole, l2Guardian));
        vm.prank(l2Guardian);
        mkt.pause();
        assertTrue(mkt.paused());
        vm.prank(l2Guardian);
        vm.expectRevert(
            abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, l2Guardian, gov)
        );
        mkt.unpause();

        address council2 = makeAddr("l2Council2");
        Proposal memory p;
        p.targets = new address[](3);
        p.values = new uint256[](3);
        p.calldatas = new bytes[](3);
        p.targets[0] = address(portal);
        p.calldatas[0] = _deposit(address(mkt), abi.encodeCall(ModelMarketplace.unpause, ()));
        p.targets[1] = address(portal);
        p.calldatas[1] = _deposit(address(mkt), abi.encodeCall(IAccessControl.revokeRole, (guardianRole, l2Guardian)));
        p.targets[2] = address(portal);
        p.calldatas[2] = _deposit(address(mkt), abi.encodeCall(IAccessControl.grantRole, (guardianRole, council2)));
        p.description = "BIP-L2-3: lift the guardian's pause; replace the L2 guardian";
        _passAndQueue(p);
        vm.warp(block.timestamp + TIMELOCK_DELAY);
        vm.recordLogs();
        _execute(p);
        assertEq(_runDeposits(vm.getRecordedLogs(), true), 3);

        assertFalse(mkt.paused());
        assertFalse(mkt.hasRole(guardianRole, l2Guardian));
        assertTrue(mkt.hasRole(guardianRole, council2));
        L2HandOver.Config memory c = _l2Config(false);
        c.guardian = council2;
        script.checkHandOver(c);
    }

    /// Replays every deposit the portal emitted as the L2 node would: from the (aliased) sender, to the target,
    /// with the calldata and gas limit of the opaque data. Returns how many ran; each must succeed iff
    /// `expectSuccess`.
    function _runDeposits(Vm.Log[] memory logs, bool expectSuccess) internal returns (uint256 n) {
        for (uint256 i = 0; i < logs.length; i++) {
            if (logs[i].emitter != address(portal) || logs[i].topics.length != 4) continue;
            if (logs[i].topics[0] != TRANSACTION_DEPOSITED) continue;
            address from = address(uint160(uint256(logs[i].topics[1])));
            address to = address(uint160(uint256(logs[i].topics[2])));
            assertEq(from, timelockAlias, "a proposal's deposit runs from the timelock's alias");
            bytes memory opaque = abi.decode(logs[i].data, (bytes));
            // abi.encodePacked(uint256 mint, uint256 value, uint64 gasLimit, bool isCreation, bytes data)
            uint64 gasLimit = uint64(bytes8(this.slice(opaque, 64, 72)));
            bytes memory data = this.slice(opaque, 73, opaque.length);
            vm.prank(from);
            (bool ok,) = to.call{gas: gasLimit}(data);
            assertEq(ok, expectSuccess, "L2 deposit outcome");
            n++;
        }
    }

    function slice(bytes calldata b, uint256 start, uint256 end) external pure returns (bytes memory) {
        return b[start:end];
    }
}
