// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {Test} from "forge-std/Test.sol";
import {stdJson} from "forge-std/StdJson.sol";
import {L2Genesis} from "../../script/L2Genesis.s.sol";
import {Predeploys} from "../../src/libraries/Predeploys.sol";
import {ModelMarketplace} from "../../src/L2/ModelMarketplace.sol";
import {ModelRegistryStorage} from "../../src/L2/ModelRegistryStorage.sol";
import {Staking} from "../../src/L2/Staking.sol";
import {InferenceWitnessStore} from "../../src/L2/InferenceWitnessStore.sol";
import {InferenceDisputes} from "../../src/L2/InferenceDisputes.sol";
import {L2ToL1MessagePasser} from "../../src/L2/L2ToL1MessagePasser.sol";

contract L2GenesisTest is Test {
    using stdJson for string;

    function test_runWritesAllocWithAllPredeploys() public {
        string memory path = string.concat(vm.projectRoot(), "/out/l2-alloc.test.json");
        vm.setEnv("BAI_L2_ALLOC_OUT", path);
        L2Genesis g = new L2Genesis();
        g.run();
        string memory json = vm.readFile(path);
        address[] memory list = g.predeploys();
        assertEq(list.length, 13);
        assertEq(list[12], Predeploys.INFERENCE_DISPUTES);
        for (uint256 i = 0; i < list.length; ++i) {
            string memory key = string.concat(".", vm.toLowercase(vm.toString(list[i])));
            bytes memory code = json.readBytes(string.concat(key, ".code"));
            assertGt(code.length, 0);
            assertEq(keccak256(code), keccak256(list[i].code), "code matches the placed runtime");
            assertEq(json.readUint(string.concat(key, ".balance")), list[i].balance, "balance matches");
            if (list[i] != Predeploys.STAKING) assertEq(json.readString(string.concat(key, ".balance")), "0x0");
        }
        // the devnet operator's stake (1000 BAI self-stake + 500 BAI delegated) is Staking's genesis balance
        assertEq(json.readString(string.concat(".", vm.toLowercase(vm.toString(Predeploys.STAKING)), ".balance")), "0x5150ae84a8cdf00000");
        assertEq(Predeploys.STAKING.balance, 1500 ether);
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

    function test_devModels() public {
        L2Genesis g = new L2Genesis();
        L2Genesis.Params memory p = g.params();
        assertTrue(p.devModels, "on by default");
        g.build(p);
        ModelMarketplace mkt = ModelMarketplace(Predeploys.MODEL_MARKETPLACE);
        Staking st = Staking(payable(Predeploys.STAKING));
        address owner = 0x23618e81E3f5cdF7f54C3d65f7FBc0aBf5B21E8f;
        address operator = 0xa0Ee7A142d267C1f36714E4a8F75612F20a79720;
        address delegator = 0x14dC79964da2C08b23698B3D3cc7Ca32193d9955;

        bytes32[] memory ids = mkt.modelIds();
        assertEq(ids.length, 3);
        assertEq(ids[0], 0x1376cd05d831cf77b4baf7303098d4c0e44c3cd7e812dc3f95cbfd0e2f26f539);
        assertEq(ids[1], 0xad00ff97ad78425860da84f33496c901b38cd2f1753643a808eff705ee4b0a49);
        assertEq(ids[0], g.MINILM_ID());
        assertEq(ids[1], g.SMOLLM_ID());
        assertEq(ids[2], 0x5a0c0531b96a5450bde88a5af24315f5ff4b9716f6012fa15fa8889b54ed96ef);
        assertEq(ids[2], g.TOPIC_CLASSIFIER_ID());

        _assertModel(
            mkt.getModel(ids[0]),
            ModelRegistryStorage.Model({
                status: 1,
                kind: 1,
                maxInputBytes: 2048,
                maxUnits: 256,
                baseGas: 50_000,
                gasPerUnit: 500,
                gasPerInputByte: 16,
                toleranceBps: 1,
                price: 0.001 ether,
                owner: owner,
                operator: operator,
                metadataURI: "all-MiniLM-L6-v2",
                zkKeyHash: bytes32(0),
                zkSince: 0
            })
        );
        _assertModel(
            mkt.getModel(ids[1]),
            ModelRegistryStorage.Model({
                status: 1,
                kind: 2,
                maxInputBytes: 2048,
                maxUnits: 128,
                baseGas: 100_000,
                gasPerUnit: 20_000,
                gasPerInputByte: 16,
                toleranceBps: 0,
                price: 0.002 ether,
                owner: owner,
                operator: operator,
                metadataURI: "SmolLM2-135M-Instruct-Q4_1",
                zkKeyHash: bytes32(0),
                zkSince: 0
            })
        );
        _assertModel(
            mkt.getModel(ids[2]),
            ModelRegistryStorage.Model({
                status: 1,
                kind: 3,
                maxInputBytes: 16_384,
                maxUnits: 64,
                baseGas: 25_000,
                gasPerUnit: 1_000,
                gasPerInputByte: 1,
                toleranceBps: 0,
                price: 0.0005 ether,
                owner: owner,
                operator: operator,
                metadataURI: "topic-classifier",
                zkKeyHash: bytes32(0),
                zkSince: 0
            })
        );

        assertTrue(st.isServing(operator, ids[0]));
        assertTrue(st.isServing(operator, ids[1]));
        assertTrue(st.isServing(operator, ids[2]));
        assertTrue(st.canReceiveRewards(operator));
        assertEq(st.stakeOf(operator, operator), 1000 ether);
        assertEq(st.stakeOf(operator, delegator), 500 ether);
        assertEq(st.getValidator(operator).commissionBps, 1000);
        assertEq(st.totalBonded(), 1500 ether);
        assertEq(address(st).balance, 1500 ether);
        // the models' serving operator from the first L2 block on (the script registers them in block 1), the one
        // InferenceDisputes slashes for their witnesses
        for (uint256 i = 0; i < 3; ++i) {
            assertEq(mkt.operatorAt(ids[i], 1), operator, "serving operator in block 1");
            assertEq(mkt.operatorAt(ids[i], 1_000_000), operator);
        }
        // witnesses are recorded under the staked devnet operator too (part of each record's evidence digest)
        assertEq(InferenceWitnessStore(Predeploys.INFERENCE_WITNESS_STORE).operator(), operator);
        assertEq(uint256(vm.load(Predeploys.INFERENCE_WITNESS_STORE, bytes32(uint256(1)))), uint256(uint160(operator)));

        // the committed devnet allocation is what the script produces (make genesis-check does the same)
        string memory committed = vm.readFile(string.concat(vm.projectRoot(), "/../testnet/genesis/l2-predeploys.json"));
        string memory mktKey = string.concat(".", vm.toLowercase(vm.toString(Predeploys.MODEL_MARKETPLACE)), ".storage");
        string[] memory slots = vm.parseJsonKeys(committed, mktKey);
        for (uint256 i = 0; i < slots.length; ++i) {
            bytes32 v = committed.readBytes32(string.concat(mktKey, ".", slots[i]));
            assertEq(vm.load(Predeploys.MODEL_MARKETPLACE, vm.parseBytes32(slots[i])), v, "committed genesis is current");
        }
    }

    /// @dev Every field of a registered model, each with its own message.
    function _assertModel(ModelMarketplace.Model memory got, ModelMarketplace.Model memory want) private pure {
        string memory name = want.metadataURI;
        assertEq(got.status, want.status, string.concat(name, ": status"));
        assertEq(got.kind, want.kind, string.concat(name, ": kind"));
        assertEq(got.maxInputBytes, want.maxInputBytes, string.concat(name, ": maxInputBytes"));
        assertEq(got.maxUnits, want.maxUnits, string.concat(name, ": maxUnits"));
        assertEq(got.baseGas, want.baseGas, string.concat(name, ": baseGas"));
        assertEq(got.gasPerUnit, want.gasPerUnit, string.concat(name, ": gasPerUnit"));
        assertEq(got.gasPerInputByte, want.gasPerInputByte, string.concat(name, ": gasPerInputByte"));
        assertEq(got.toleranceBps, want.toleranceBps, string.concat(name, ": toleranceBps"));
        assertEq(got.price, want.price, string.concat(name, ": price"));
        assertEq(got.owner, want.owner, string.concat(name, ": owner"));
        assertEq(got.operator, want.operator, string.concat(name, ": operator"));
        assertEq(got.metadataURI, want.metadataURI, string.concat(name, ": metadataURI"));
        assertEq(got.zkKeyHash, want.zkKeyHash, string.concat(name, ": zkKeyHash"));
        assertEq(got.zkSince, want.zkSince, string.concat(name, ": zkSince"));
    }

    function test_inferenceDisputes() public {
        L2Genesis g = new L2Genesis();
        L2Genesis.Params memory p = g.params();
        address devChallenger = 0x70997970C51812dc3A010C7d01b50e0d17dc79C8; // anvil #1
        assertEq(p.challenger, devChallenger, "default challenger");
        assertEq(p.slashFractionWad, 0.1e18, "default slash fraction");
        assertEq(p.inferenceDisputeWindow, 604_800, "default window: 7 days of 1 s blocks");
        g.build(p);
        InferenceDisputes d = InferenceDisputes(Predeploys.INFERENCE_DISPUTES);
        Staking st = Staking(payable(Predeploys.STAKING));
        assertTrue(d.hasRole(d.CHALLENGER_ROLE(), devChallenger));
        assertTrue(d.hasRole(d.DEFAULT_ADMIN_ROLE(), p.admin));
        assertEq(d.slashFractionWad(), 0.1e18);
        assertEq(d.disputeWindowBlocks(), 604_800);
        assertTrue(st.hasRole(st.SLASHER_ROLE(), Predeploys.INFERENCE_DISPUTES), "disputes may slash");
        assertTrue(st.hasRole(st.SLASHER_ROLE(), p.slasher), "BAI_SLASHER keeps its grant");

        // the committed devnet allocation carries the same disputes, Staking (role grant) and witness store
        // (pinned operator) storage
        string memory committed = vm.readFile(string.concat(vm.projectRoot(), "/../testnet/genesis/l2-predeploys.json"));
        address[3] memory accounts =
            [Predeploys.INFERENCE_DISPUTES, Predeploys.STAKING, Predeploys.INFERENCE_WITNESS_STORE];
        for (uint256 a = 0; a < accounts.length; ++a) {
            string memory key = string.concat(".", vm.toLowercase(vm.toString(accounts[a])), ".storage");
            string[] memory slots = vm.parseJsonKeys(committed, key);
            assertGt(slots.length, 0);
            for (uint256 i = 0; i < slots.length; ++i) {
                bytes32 v = committed.readBytes32(string.concat(key, ".", slots[i]));
                assertEq(vm.load(accounts[a], vm.parseBytes32(slots[i])), v, "committed genesis is current");
            }
        }
    }

    /// The devnet genesis (BAI_DEV_MODELS, BAI_L1_PORTAL / BAI_L1_TOKEN unset) knows the L1 portal and token at the
    /// addresses DeployL1.s.sol gets on the devnet's fresh anvil (dev #0's nonces 3 and 0; checked against a real
    /// anvil deployment), and the message passer refuses withdrawals to them.
    function test_devGenesis_knowsDevnetL1PortalAndToken() public {
        address dev0 = 0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266;
        address portal = 0xCf7Ed3AccA5a467e9e704C703E8D87F634fB0Fc9;
        address token = 0x5FbDB2315678afecb367f032d93F642f64180aa3;
        assertEq(vm.computeCreateAddress(dev0, 3), portal);
        assertEq(vm.computeCreateAddress(dev0, 0), token);
        L2Genesis g = new L2Genesis();
        (address dp, address dt) = g.defaultL1Contracts(true);
        assertEq(dp, portal);
        assertEq(dt, token);
        L2Genesis.Params memory p = g.params();
        assertTrue(p.devModels);
        assertEq(p.l1Portal, portal, "devnet default portal");
        assertEq(p.l1Token, token, "devnet default token");
        g.build(p);
        L2ToL1MessagePasser passer = L2ToL1MessagePasser(payable(Predeploys.L2_TO_L1_MESSAGE_PASSER));
        assertEq(passer.l1Portal(), portal);
        assertEq(passer.l1Token(), token);
        address user = makeAddr("user");
        vm.deal(user, 10 ether);
        vm.startPrank(user);
        vm.expectRevert(abi.encodeWithSelector(L2ToL1MessagePasser.UnfinalizableWithdrawal.selector, portal, 100_000));
        passer.initiateWithdrawal{value: 1 ether}(portal, 100_000, "");
        vm.expectRevert(abi.encodeWithSelector(L2ToL1MessagePasser.UnfinalizableWithdrawal.selector, token, 100_000));
        passer.initiateWithdrawal{value: 1 ether}(token, 100_000, hex"a9059cbb");
        passer.initiateWithdrawal{value: 1 ether}(user, 100_000, "");
        vm.stopPrank();
        assertEq(passer.messageNonce() & type(uint240).max, 1, "only the withdrawal to the user went through");

        // the committed devnet allocation carries them too (slots 2 and 3)
        string memory committed = vm.readFile(string.concat(vm.projectRoot(), "/../testnet/genesis/l2-predeploys.json"));
        string memory key =
            string.concat(".", vm.toLowercase(vm.toString(Predeploys.L2_TO_L1_MESSAGE_PASSER)), ".storage.");
        bytes32 slot2 = committed.readBytes32(string.concat(key, vm.toString(bytes32(uint256(2)))));
        bytes32 slot3 = committed.readBytes32(string.concat(key, vm.toString(bytes32(uint256(3)))));
        assertEq(slot2, bytes32(uint256(uint160(portal))), "committed l1Portal");
        assertEq(slot3, bytes32(uint256(uint160(token))), "committed l1Token");
    }

    /// A production genesis (BAI_DEV_MODELS=false) knows no L1 contracts unless BAI_L1_PORTAL / BAI_L1_TOKEN give
    /// them: the passer's are zero and a withdrawal to the devnet's portal address is not refused.
    function test_productionGenesis_noL1ContractsUnlessGiven() public {
        L2Genesis g = new L2Genesis();
        (address dp, address dt) = g.defaultL1Contracts(false);
        assertEq(dp, address(0));
        assertEq(dt, address(0));
        L2Genesis.Params memory p = g.params();
        p.devModels = false;
        (p.l1Portal, p.l1Token) = g.defaultL1Contracts(p.devModels);
        uint256 snap = vm.snapshotState();
        g.build(p);
        L2ToL1MessagePasser passer = L2ToL1MessagePasser(payable(Predeploys.L2_TO_L1_MESSAGE_PASSER));
        assertEq(passer.l1Portal(), address(0));
        assertEq(passer.l1Token(), address(0));
        (address devPortal,) = g.defaultL1Contracts(true);
        address user = makeAddr("user");
        vm.deal(user, 10 ether);
        vm.prank(user);
        passer.initiateWithdrawal{value: 1 ether}(devPortal, 100_000, "");

        // given (from DeployL1's output): set, and refused as targets
        vm.revertToState(snap);
        p.l1Portal = makeAddr("l1Portal");
        p.l1Token = makeAddr("l1Token");
        g.build(p);
        assertEq(passer.l1Portal(), p.l1Portal);
        assertEq(passer.l1Token(), p.l1Token);
        vm.deal(user, 10 ether);
        vm.prank(user);
        vm.expectRevert(
            abi.encodeWithSelector(L2ToL1MessagePasser.UnfinalizableWithdrawal.selector, p.l1Portal, 100_000)
        );
        passer.initiateWithdrawal{value: 1 ether}(p.l1Portal, 100_000, "");
    }
}
