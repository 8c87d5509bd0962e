// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {Script} from "forge-std/Script.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {Predeploys} from "../src/libraries/Predeploys.sol";
import {L1Block} from "../src/L2/L1Block.sol";
import {L2ToL1MessagePasser} from "../src/L2/L2ToL1MessagePasser.sol";
import {GasPriceOracle} from "../src/L2/GasPriceOracle.sol";
import {FeeVault, SequencerFeeVault, BaseFeeVault, L1FeeVault} from "../src/L2/FeeVault.sol";
import {L2Bridge} from "../src/L2/L2Bridge.sol";
import {ModelMarketplace} from "../src/L2/ModelMarketplace.sol";
import {Staking} from "../src/L2/Staking.sol";
import {InferenceWitnessStore} from "../src/L2/InferenceWitnessStore.sol";
import {PaymentChannels} from "../src/L2/PaymentChannels.sol";
import {Curation} from "../src/L2/Curation.sol";
import {InferenceDisputes} from "../src/L2/InferenceDisputes.sol";

/// @title L2Genesis
/// @notice Produces the L2 predeploy allocation in geth genesis `alloc` format:
///         `{ "0x4200…15": { "code": "0x…", "storage": { "0x<slot>": "0x<value>" }, "balance": "0x0", "nonce": "0x1" }, … }`.
///         Usage: `BAI_L2_ALLOC_OUT=/abs/path/alloc.json forge script script/L2Genesis.s.sol`
///         (run from contracts/; the path must be inside the repository or /tmp).
///         Parameters (env, devnet defaults): BAI_ADMIN, BAI_TREASURY, BAI_SLASHER, BAI_FEE_RECIPIENT,
///         BAI_MIN_SELF_STAKE, BAI_UNBONDING_PERIOD, BAI_JAIL_DURATION, BAI_CURATION_EXIT_DELAY,
///         BAI_MAX_MODEL_PRICE, BAI_PRICE_COOLDOWN, BAI_CHALLENGER, BAI_SLASH_FRACTION_WAD,
///         BAI_INFERENCE_DISPUTE_WINDOW, BAI_DEV_MODELS (true: register the devnet models, see
///         {registerDevModels}), BAI_L1_PORTAL / BAI_L1_TOKEN (the L1 portal and token, which withdrawals may not
///         target; default: the devnet's addresses with BAI_DEV_MODELS, none otherwise, see {defaultL1Contracts}).
/// @dev Each predeploy's runtime code is created normally, etched at its fixed address, then
///      initialised there; the storage written by the initialisers (and by the devnet model setup) is
///      captured with vm.record/vm.accesses. Balances are the predeploys' simulated balances (Staking holds
///      the devnet operator's genesis stake).
contract L2Genesis is Script {
    /// @notice anvil's first dev account (the standard test mnemonic).
    address internal constant DEV_ACCOUNT_0 = 0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266;
    /// @notice anvil's second dev account (devnet challenger: Staking / Curation slasher, InferenceDisputes
    ///         challenger).
    address internal constant DEV_ACCOUNT_1 = 0x70997970C51812dc3A010C7d01b50e0d17dc79C8;
    /// @notice anvil dev account #7: delegates to the devnet inference operator.
    address internal constant DEV_ACCOUNT_7 = 0x14dC79964da2C08b23698B3D3cc7Ca32193d9955;
    /// @notice anvil dev account #8: owner of the devnet models.
    address internal constant DEV_ACCOUNT_8 = 0x23618e81E3f5cdF7f54C3d65f7FBc0aBf5B21E8f;
    /// @notice anvil dev account #9: the devnet inference operator (staked, serving both models).
    address internal constant DEV_ACCOUNT_9 = 0xa0Ee7A142d267C1f36714E4a8F75612F20a79720;

    /// @notice all-MiniLM-L6-v2 (embedding): keccak256(keccak256(model.safetensors) ++ keccak256(tokenizer.json)).
    bytes32 public constant MINILM_ID = 0x1376cd05d831cf77b4baf7303098d4c0e44c3cd7e812dc3f95cbfd0e2f26f539;
    /// @notice SmolLM2-135M-Instruct Q4_1 (generation): keccak256(keccak256(SmolLM2-135M-Instruct.Q4_1.gguf)).
    bytes32 public constant SMOLLM_ID = 0xad00ff97ad78425860da84f33496c901b38cd2f1753643a808eff705ee4b0a49;
    /// @notice topic-classifier (generic tensor model, models/topic-classifier in the repo):
    ///         keccak256(keccak256(model.safetensors) ++ keccak256(model.json)).
    bytes32 public constant TOPIC_CLASSIFIER_ID = 0x5a0c0531b96a5450bde88a5af24315f5ff4b9716f6012fa15fa8889b54ed96ef;
    /// @notice Self-stake of the devnet operator at genesis (raised to minSelfStake if that is larger).
    uint256 public constant DEV_OPERATOR_SELF_STAKE = 1000 ether;
    /// @notice Stake dev account #7 delegates to the devnet operator at genesis.
    uint256 public constant DEV_DELEGATION = 500 ether;
    /// @notice Nonce of dev account #0 at which DeployL1.s.sol creates BaiToken on the devnet's fresh anvil (its
    ///         first transaction: `new BaiToken`, `new L2OutputOracle`, `new SystemConfig`, `new BaiPortal`, then
    ///         `SystemConfig.setAddresses`; no library is deployed).
    uint64 public constant DEVNET_L1_TOKEN_NONCE = 0;
    /// @notice Nonce of dev account #0 at which DeployL1.s.sol creates BaiPortal on the devnet's fresh anvil.
    uint64 public constant DEVNET_L1_PORTAL_NONCE = 3;

    /// @notice Genesis parameters.
    struct Params {
        address admin;
        address treasury;
        address slasher;
        address feeRecipient;
        uint256 minSelfStake;
        uint256 unbondingPeriod;
        uint256 jailDuration;
        uint256 curationExitDelay;
        uint256 maxModelPrice;
        uint256 priceCooldown;
        address challenger;
        uint256 slashFractionWad;
        uint64 inferenceDisputeWindow;
        bool devModels;
        address l1Portal;
        address l1Token;
    }

    /// @notice The predeploys emitted, in output order.
    function predeploys() public pure returns (address[] memory list) {
        list = new address[](13);
        list[0] = Predeploys.L1_BLOCK_ATTRIBUTES;
        list[1] = Predeploys.L2_TO_L1_MESSAGE_PASSER;
        list[2] = Predeploys.GAS_PRICE_ORACLE;
        list[3] = Predeploys.SEQUENCER_FEE_VAULT;
        list[4] = Predeploys.BASE_FEE_VAULT;
        list[5] = Predeploys.L1_FEE_VAULT;
        list[6] = Predeploys.L2_BRIDGE;
        list[7] = Predeploys.MODEL_MARKETPLACE;
        list[8] = Predeploys.STAKING;
        list[9] = Predeploys.INFERENCE_WITNESS_STORE;
        list[10] = Predeploys.PAYMENT_CHANNELS;
        list[11] = Predeploys.CURATION;
        list[12] = Predeploys.INFERENCE_DISPUTES;
    }

    /// @notice Reads parameters from the environment with devnet defaults.
    function params() public view returns (Params memory p) {
        p.admin = vm.envOr("BAI_ADMIN", DEV_ACCOUNT_0);
        p.treasury = vm.envOr("BAI_TREASURY", DEV_ACCOUNT_0);
        p.slasher = vm.envOr("BAI_SLASHER", DEV_ACCOUNT_1);
        p.feeRecipient = vm.envOr("BAI_FEE_RECIPIENT", DEV_ACCOUNT_0);
        p.minSelfStake = vm.envOr("BAI_MIN_SELF_STAKE", uint256(100 ether));
        p.unbondingPeriod = vm.envOr("BAI_UNBONDING_PERIOD", uint256(7 days));
        p.jailDuration = vm.envOr("BAI_JAIL_DURATION", uint256(1 days));
        p.curationExitDelay = vm.envOr("BAI_CURATION_EXIT_DELAY", uint256(3 days));
        p.maxModelPrice = vm.envOr("BAI_MAX_MODEL_PRICE", uint256(1000 ether));
        p.priceCooldown = vm.envOr("BAI_PRICE_COOLDOWN", uint256(1 hours));
        p.challenger = vm.envOr("BAI_CHALLENGER", DEV_ACCOUNT_1);
        p.slashFractionWad = vm.envOr("BAI_SLASH_FRACTION_WAD", uint256(0.1e18));
        // 7 days of 1 s L2 blocks (the devnet block time, docs/DESIGN: "L2 block time 1 s").
        p.inferenceDisputeWindow = SafeCast.toUint64(vm.envOr("BAI_INFERENCE_DISPUTE_WINDOW", uint256(604_800)));
        p.devModels = vm.envOr("BAI_DEV_MODELS", true);
        // L1 addresses withdrawals may not target (a system deposit can also set them later). Unset: the devnet's
        // with BAI_DEV_MODELS, none for a production genesis ({defaultL1Contracts}).
        (address portal, address token) = defaultL1Contracts(p.devModels);
        p.l1Portal = vm.envOr("BAI_L1_PORTAL", portal);
        p.l1Token = vm.envOr("BAI_L1_TOKEN", token);
    }

    /// @notice The L1 portal and token a genesis uses when BAI_L1_PORTAL / BAI_L1_TOKEN are unset.
    ///         Devnet genesis (`devModels`): the addresses DeployL1.s.sol gets on the devnet's fresh anvil, where
    ///         `bai devnet up` runs it first, signed by dev account #0 (nonces {DEVNET_L1_TOKEN_NONCE} and
    ///         {DEVNET_L1_PORTAL_NONCE}): 0x5FbDB2315678afecb367f032d93F642f64180aa3 (BaiToken) and
    ///         0xCf7Ed3AccA5a467e9e704C703E8D87F634fB0Fc9 (BaiPortal). Production genesis: none (address(0)); set
    ///         both from DeployL1's output.
    /// @param devModels Whether this is the devnet genesis (BAI_DEV_MODELS).
    /// @return portal The L1 portal (address(0) = none).
    /// @return token The L1 token (address(0) = none).
    function defaultL1Contracts(bool devModels) public pure returns (address portal, address token) {
        if (!devModels) return (address(0), address(0));
        portal = vm.computeCreateAddress(DEV_ACCOUNT_0, DEVNET_L1_PORTAL_NONCE);
        token = vm.computeCreateAddress(DEV_ACCOUNT_0, DEVNET_L1_TOKEN_NONCE);
    }

    /// @notice Entry point: writes the alloc JSON to $BAI_L2_ALLOC_OUT.
    function run() external {
        string memory out = vm.envOr("BAI_L2_ALLOC_OUT", string("out/l2-alloc.json"));
        string memory json = build(params());
        vm.writeFile(out, json);
    }

    /// @notice Places and initialises every predeploy in the current (simulated) state and returns the alloc JSON.
    /// @param p Parameters.
    /// @return json The alloc.
    function build(Params memory p) public returns (string memory json) {
        vm.record();
        _place(Predeploys.L1_BLOCK_ATTRIBUTES, address(new L1Block()).code);
        _place(Predeploys.L2_TO_L1_MESSAGE_PASSER, address(new L2ToL1MessagePasser()).code);
        _place(Predeploys.GAS_PRICE_ORACLE, address(new GasPriceOracle()).code);
        _place(Predeploys.SEQUENCER_FEE_VAULT, address(new SequencerFeeVault()).code);
        _place(Predeploys.BASE_FEE_VAULT, address(new BaseFeeVault()).code);
        _place(Predeploys.L1_FEE_VAULT, address(new L1FeeVault()).code);
        _place(Predeploys.L2_BRIDGE, address(new L2Bridge()).code);
        _place(Predeploys.MODEL_MARKETPLACE, address(new ModelMarketplace()).code);
        _place(Predeploys.STAKING, address(new Staking()).code);
        _place(Predeploys.INFERENCE_WITNESS_STORE, address(new InferenceWitnessStore()).code);
        _place(Predeploys.PAYMENT_CHANNELS, address(new PaymentChannels()).code);
        _place(Predeploys.CURATION, address(new Curation()).code);
        _place(Predeploys.INFERENCE_DISPUTES, address(new InferenceDisputes()).code);

        initialize(p);
        if (p.devModels) registerDevModels(p);

        address[] memory list = predeploys();
        json = "{";
        for (uint256 i = 0; i < list.length; ++i) {
            json = string.concat(json, i == 0 ? "" : ",", _account(list[i]));
        }
        json = string.concat(json, "}");
    }

    /// @notice Runs the predeploys' initialisers (code must already be at the predeploy addresses).
    /// @param p Parameters.
    function initialize(Params memory p) public {
        if (p.l1Portal != address(0) || p.l1Token != address(0)) {
            vm.prank(Predeploys.DEPOSITOR_ACCOUNT);
            L2ToL1MessagePasser(payable(Predeploys.L2_TO_L1_MESSAGE_PASSER)).setL1Contracts(p.l1Portal, p.l1Token);
        }
        FeeVault(payable(Predeploys.SEQUENCER_FEE_VAULT)).initialize(
            p.admin, p.feeRecipient, 0, FeeVault.WithdrawalNetwork.L2
        );
        FeeVault(payable(Predeploys.BASE_FEE_VAULT)).initialize(p.admin, p.feeRecipient, 0, FeeVault.WithdrawalNetwork.L2);
        FeeVault(payable(Predeploys.L1_FEE_VAULT)).initialize(p.admin, p.feeRecipient, 0, FeeVault.WithdrawalNetwork.L2);
        Staking(payable(Predeploys.STAKING)).initialize(
            p.admin, p.slasher, p.treasury, p.minSelfStake, p.unbondingPeriod, p.jailDuration
        );
        Curation(Predeploys.CURATION).initialize(p.admin, p.slasher, p.treasury, p.curationExitDelay);
        InferenceDisputes(Predeploys.INFERENCE_DISPUTES).initialize(
            p.admin, p.challenger, p.slashFractionWad, p.inferenceDisputeWindow
        );
        // InferenceDisputes slashes operators whose witnesses are shown wrong (BAI_SLASHER keeps its own grant).
        Staking staking = Staking(payable(Predeploys.STAKING));
        vm.startPrank(p.admin);
        staking.grantRole(staking.SLASHER_ROLE(), Predeploys.INFERENCE_DISPUTES);
        vm.stopPrank();
        ModelMarketplace(Predeploys.MODEL_MARKETPLACE).initialize(
            p.admin,
            p.treasury,
            Predeploys.STAKING,
            Predeploys.CURATION,
            ModelMarketplace.Split({ownerBps: 7000, operatorBps: 1500, stakersBps: 500, curatorsBps: 500}),
            ModelMarketplace.GasFloor({baseGas: 21_000, gasPerUnit: 1, gasPerInputByte: 1}),
            p.maxModelPrice,
            p.priceCooldown
        );
    }

    /// @notice Devnet models, callable right after `bai node --dev` starts:
    ///         - dev account #9 registers in Staking as inference operator (self-stake
    ///           max({DEV_OPERATOR_SELF_STAKE}, minSelfStake), 10 % commission) and declares it serves both models;
    ///         - dev account #7 delegates {DEV_DELEGATION} to it;
    ///         - dev account #8 registers all-MiniLM-L6-v2 (embedding, 0.001 BAI per call),
    ///           SmolLM2-135M-Instruct-Q4_1 (generation, 0.002 BAI per call) and topic-classifier
    ///           (generic tensor model over embeddings, 0.0005 BAI per call) with #9 as operator;
    ///         - the witness store's recording operator is #9 (set as the depositor would; it is part of each
    ///           record's evidence digest). InferenceDisputes slashes the model's serving operator in the
    ///           record's block (`ModelMarketplace.operatorAt`: #9 for the three models from genesis on).
    ///         The staked BAI is the Staking predeploy's genesis balance (the dev accounts' own balances
    ///         come from the node's chainspec). The metadata URI is the model's display name.
    /// @param p Parameters.
    function registerDevModels(Params memory p) public {
        Staking staking = Staking(payable(Predeploys.STAKING));
        ModelMarketplace mkt = ModelMarketplace(Predeploys.MODEL_MARKETPLACE);

        uint256 selfStake = p.minSelfStake > DEV_OPERATOR_SELF_STAKE ? p.minSelfStake : DEV_OPERATOR_SELF_STAKE;
        vm.deal(DEV_ACCOUNT_9, selfStake);
        vm.startPrank(DEV_ACCOUNT_9);
        staking.registerValidator{value: selfStake}(1000, 2000, 100);
        staking.setServedModel(MINILM_ID, true);
        staking.setServedModel(SMOLLM_ID, true);
        staking.setServedModel(TOPIC_CLASSIFIER_ID, true);
        vm.stopPrank();

        vm.deal(DEV_ACCOUNT_7, DEV_DELEGATION);
        vm.prank(DEV_ACCOUNT_7);
        staking.delegate{value: DEV_DELEGATION}(DEV_ACCOUNT_9);

        vm.startPrank(DEV_ACCOUNT_8);
        mkt.registerModel(
            MINILM_ID,
            ModelMarketplace.ModelParams({
                kind: 1,
                maxInputBytes: 2048,
                maxUnits: 256,
                baseGas: 50_000,
                gasPerUnit: 500,
                gasPerInputByte: 16,
                // Derived, not guessed: candle's embeddings differ from the bit-exact reference by a relative
                // L2 error of at most 5.0e-6 on the 209-text corpus (prover/tests/honest_operator.rs); the
                // metric rounds up, so 1 bps admits errors up to 1e-4 (20x). Generation and the classifier
                // are exact.
                toleranceBps: 1,
                price: 0.001 ether,
                operator: DEV_ACCOUNT_9
            }),
            "all-MiniLM-L6-v2"
        );
        mkt.registerModel(
            SMOLLM_ID,
            ModelMarketplace.ModelParams({
                kind: 2,
                maxInputBytes: 2048,
                maxUnits: 128,
                baseGas: 100_000,
                gasPerUnit: 20_000,
                gasPerInputByte: 16,
                toleranceBps: 0,
                price: 0.002 ether,
                operator: DEV_ACCOUNT_9
            }),
            "SmolLM2-135M-Instruct-Q4_1"
        );
        // Input is abi.encode(int32[384]): 64 + 384 * 32 = 12,352 bytes; one call is 3,072
        // multiply-accumulates = 4 units.
        mkt.registerModel(
            TOPIC_CLASSIFIER_ID,
            ModelMarketplace.ModelParams({
                kind: 3,
                maxInputBytes: 16_384,
                maxUnits: 64,
                baseGas: 25_000,
                gasPerUnit: 1_000,
                gasPerInputByte: 1,
                toleranceBps: 0,
                price: 0.0005 ether,
                operator: DEV_ACCOUNT_9
            }),
            "topic-classifier"
        );
        vm.stopPrank();

        vm.prank(Predeploys.DEPOSITOR_ACCOUNT);
        InferenceWitnessStore(Predeploys.INFERENCE_WITNESS_STORE).setOperator(DEV_ACCOUNT_9);
    }

    function _place(address at, bytes memory code) private {
        vm.etch(at, code);
    }

    function _account(address a) private returns (string memory) {
        (, bytes32[] memory writes) = vm.accesses(a);
        string memory storageJson = "{";
        uint256 emitted = 0;
        for (uint256 i = 0; i < writes.length; ++i) {
            bytes32 slot = writes[i];
            bool seen = false;
            for (uint256 j = 0; j < i; ++j) {
                if (writes[j] == slot) {
                    seen = true;
                    break;
                }
            }
            bytes32 value = vm.load(a, slot);
            if (seen || value == bytes32(0)) continue;
            storageJson = string.concat(
                storageJson, emitted == 0 ? "" : ",", "\"", vm.toString(slot), "\":\"", vm.toString(value), "\""
            );
            ++emitted;
        }
        storageJson = string.concat(storageJson, "}");
        return string.concat(
            "\"",
            vm.toLowercase(vm.toString(a)),
            "\":{\"code\":\"",
            vm.toString(a.code),
            "\",\"storage\":",
            storageJson,
            ",\"balance\":\"",
            _quantity(a.balance),
            "\",\"nonce\":\"0x1\"}"
        );
    }

    /// @dev Minimal hex quantity ("0x0", "0x5150ae84a8cdf00000").
    function _quantity(uint256 v) private pure returns (string memory) {
        if (v == 0) return "0x0";
        bytes16 digits = "0123456789abcdef";
        uint256 n = 0;
        for (uint256 t = v; t != 0; t >>= 4) {
            ++n;
        }
        bytes memory out = new bytes(n + 2);
        out[0] = "0";
        out[1] = "x";
        for (uint256 i = n + 1; i >= 2; --i) {
            out[i] = digits[v & 0xf];
            v >>= 4;
        }
        return string(out);
    }
}
