// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {Test} from "forge-std/Test.sol";
import {L2Base} from "../L2/L2Base.t.sol";
import {AiNotes} from "../../src/examples/AiNotes.sol";
import {IBaiInference} from "../../src/interfaces/IBaiInference.sol";
import {BaiInference} from "../../src/libraries/BaiInference.sol";
import {Predeploys} from "../../src/libraries/Predeploys.sol";
import {ModelMarketplace} from "../../src/L2/ModelMarketplace.sol";
import {Staking} from "../../src/L2/Staking.sol";
import {DeployAiNotes} from "../../script/DeployAiNotes.s.sol";

/// @dev A contract that calls the precompile directly (no marketplace, no payment).
contract DirectCaller {
    function embed(bytes32 id, string calldata text) external returns (int32[] memory) {
        return BaiInference.embed(id, text);
    }

    function generate(bytes32 id, string calldata prompt, uint32 maxTokens) external returns (string memory) {
        return BaiInference.generate(id, prompt, maxTokens);
    }

    /// @dev embed under STATICCALL (what a view function calling the precompile does).
    function embedStatic(bytes32 id, string calldata text) external view returns (bool ok, bytes memory ret) {
        return BaiInference.PRECOMPILE.staticcall(abi.encodeCall(IBaiInference.embed, (id, text)));
    }

    function quote(bytes32 id, uint256 inputBytes, uint32 maxUnits) external view returns (uint256) {
        return BaiInference.quote(id, inputBytes, maxUnits);
    }
}

/// @dev Overpays but cannot take the refund.
contract NoRefund {
    function embed(AiNotes notes, bytes32 id) external payable returns (uint256) {
        return notes.embedText{value: msg.value}(id, "x");
    }
}

/// @notice AiNotes against the real devnet genesis (the two genesis models, staked operator #9, owner #8,
///         delegator #7), with the precompile mocked: MockInference etched at 0x…0BA1 applies the node's checks
///         with the node's errors, and vm.mockCall / vm.mockCallRevert pin individual answers.
contract AiNotesTest is L2Base {
    ModelMarketplace internal mkt = ModelMarketplace(Predeploys.MODEL_MARKETPLACE);
    Staking internal staking = Staking(payable(Predeploys.STAKING));
    AiNotes internal notes;
    address internal user = makeAddr("user");

    bytes32 internal constant MINILM = 0x1376cd05d831cf77b4baf7303098d4c0e44c3cd7e812dc3f95cbfd0e2f26f539;
    bytes32 internal constant SMOLLM = 0xad00ff97ad78425860da84f33496c901b38cd2f1753643a808eff705ee4b0a49;
    address internal constant OWNER = 0x23618e81E3f5cdF7f54C3d65f7FBc0aBf5B21E8f; // dev #8
    address internal constant OPERATOR = 0xa0Ee7A142d267C1f36714E4a8F75612F20a79720; // dev #9
    address internal constant DELEGATOR = 0x14dC79964da2C08b23698B3D3cc7Ca32193d9955; // dev #7
    address internal constant PRECOMPILE = Predeploys.BAI_INFERENCE;

    event EmbeddingStored(
        uint256 indexed id, address indexed author, bytes32 indexed modelId, uint256 dimensions, string text
    );
    event AnswerStored(uint256 indexed id, address indexed author, bytes32 indexed modelId, string prompt, string answer);

    function _devModels() internal pure override returns (bool) {
        return true;
    }

    function setUp() public override {
        super.setUp();
        notes = new AiNotes();
        vm.deal(user, 1 ether);
    }

    function _vec(int32 a, int32 b) internal pure returns (int32[] memory v) {
        v = new int32[](2);
        v[0] = a;
        v[1] = b;
    }

    function _mockEmbed(string memory text, int32[] memory v) internal {
        vm.mockCall(PRECOMPILE, abi.encodeCall(IBaiInference.embed, (MINILM, text)), abi.encode(v));
    }

    // ----------------------------------------------------------------------------------------------
    // Happy paths
    // ----------------------------------------------------------------------------------------------

    function test_embedText_paysSplitsAndStores() public {
        int32[] memory v = _vec(600_000, 800_000);
        _mockEmbed("hello", v);
        uint256 stakingBefore = address(staking).balance;

        vm.expectCall(PRECOMPILE, abi.encodeCall(IBaiInference.embed, (MINILM, "hello")));
        vm.expectEmit(address(notes));
        emit EmbeddingStored(1, user, MINILM, 2, "hello");
        vm.prank(user);
        uint256 id = notes.embedText{value: 0.005 ether}(MINILM, "hello"); // overpays: the excess comes back

        assertEq(id, 1);
        assertEq(user.balance, 1 ether - 0.001 ether, "exactly the price was paid");
        assertEq(address(notes).balance, 0);
        int32[] memory stored = notes.embeddingOf(id);
        assertEq(stored.length, 2);
        assertEq(stored[0], 600_000);
        assertEq(stored[1], 800_000);
        (address author, uint8 kind, uint64 bn, bytes32 model) = notes.notes(id);
        assertEq(author, user);
        assertEq(kind, 1);
        assertEq(bn, block.number);
        assertEq(model, MINILM);

        // 0.001 BAI: 70 % owner, 15 % operator, 5 % stakers (Staking), no curators → 5 % + 5 % treasury
        assertEq(mkt.earnings(OWNER), 0.0007 ether);
        assertEq(mkt.earnings(OPERATOR), 0.00015 ether);
        assertEq(mkt.earnings(treasury), 0.0001 ether);
        assertEq(address(staking).balance - stakingBefore, 0.00005 ether);
        // stakers: 10 % commission to #9, the rest by stake 1000 : 500 between #9 and delegator #7
        assertApproxEqAbs(staking.pendingRewards(OPERATOR, DELEGATOR), 0.000015 ether, 1);
        assertApproxEqAbs(staking.pendingRewards(OPERATOR, OPERATOR), 0.00003 ether, 1);
        assertEq(staking.owedRewards(OPERATOR), 0.000005 ether);
    }

    function test_ask_paysSplitsAndStores() public {
        vm.mockCall(
            PRECOMPILE, abi.encodeCall(IBaiInference.generate, (SMOLLM, "Capital of France?", 16)), abi.encode("Paris.")
        );
        vm.expectEmit(address(notes));
        emit AnswerStored(1, user, SMOLLM, "Capital of France?", "Paris.");
        vm.prank(user);
        uint256 id = notes.ask{value: 0.002 ether}(SMOLLM, "Capital of France?", 16);
        assertEq(notes.answerOf(id), "Paris.");
        assertEq(user.balance, 1 ether - 0.002 ether);
        assertEq(mkt.earnings(OWNER), 0.0014 ether);
        assertEq(mkt.earnings(OPERATOR), 0.0003 ether);
        assertEq(mkt.earnings(treasury), 0.0002 ether);
        vm.prank(OWNER);
        assertEq(mkt.withdrawEarnings(), 0.0014 ether);
        assertEq(OWNER.balance, 0.0014 ether);
    }

    function test_ask_withMockInference() public {
        // no vm.mockCall: MockInference answers "echo:" + prompt
        vm.prank(user);
        uint256 id = notes.ask{value: 0.002 ether}(SMOLLM, "hi", 128);
        assertEq(notes.answerOf(id), "echo:hi");
    }

    function test_similarity() public {
        _mockEmbed("a", _vec(600_000, 800_000));
        _mockEmbed("b", _vec(800_000, 600_000));
        _mockEmbed("c", _vec(-600_000, -800_000));
        vm.startPrank(user);
        uint256 a = notes.embedText{value: 0.001 ether}(MINILM, "a");
        uint256 b = notes.embedText{value: 0.001 ether}(MINILM, "b");
        uint256 c = notes.embedText{value: 0.001 ether}(MINILM, "c");
        vm.stopPrank();
        assertEq(notes.similarity(a, a), 1_000_000);
        assertEq(notes.similarity(a, b), 960_000);
        assertEq(notes.similarity(a, c), -1_000_000);
        assertEq(notes.noteCount(), 3);
    }

    /// @dev A realistic MiniLM result (384 dimensions) for the gas report.
    function test_embedText_384Dimensions() public {
        int32[] memory v = new int32[](384);
        for (uint256 i = 0; i < 384; ++i) {
            v[i] = int32(int256(i % 2 == 0 ? int256(51_031) : -51_031)); // ≈ 1e6 / sqrt(384)
        }
        _mockEmbed("a realistic sentence", v);
        vm.prank(user);
        uint256 id = notes.embedText{value: 0.001 ether}(MINILM, "a realistic sentence");
        assertEq(notes.embeddingOf(id).length, 384);
        assertApproxEqAbs(notes.similarity(id, id), 1_000_000, 100);
    }

    // ----------------------------------------------------------------------------------------------
    // Failures
    // ----------------------------------------------------------------------------------------------

    function test_reverts_payment() public {
        vm.prank(user);
        vm.expectRevert(abi.encodeWithSelector(AiNotes.InsufficientPayment.selector, 0.0009 ether, 0.001 ether));
        notes.embedText{value: 0.0009 ether}(MINILM, "x");

        NoRefund nr = new NoRefund();
        vm.deal(address(nr), 1 ether);
        vm.expectRevert(AiNotes.RefundFailed.selector);
        nr.embed{value: 0.002 ether}(notes, MINILM);
    }

    function test_reverts_inferenceUnavailable_bubblesAndRefundsEverything() public {
        bytes memory err = abi.encodeWithSelector(IBaiInference.InferenceUnavailable.selector, MINILM, "backend down");
        vm.mockCallRevert(PRECOMPILE, abi.encodeWithSelector(IBaiInference.embed.selector), err);
        vm.prank(user);
        vm.expectRevert(err);
        notes.embedText{value: 0.001 ether}(MINILM, "x");
        assertEq(user.balance, 1 ether);
        assertEq(mkt.earnings(OWNER), 0);
        assertEq(notes.noteCount(), 0);
    }

    function test_reverts_modelChecks() public {
        vm.startPrank(user);
        // unknown ids cannot be paid for: the marketplace refuses them (the precompile would say UnknownModel)
        vm.expectRevert(abi.encodeWithSelector(ModelMarketplace.ModelNotActive.selector, keccak256("nope")));
        notes.embedText(keccak256("nope"), "x");
        vm.expectRevert(abi.encodeWithSelector(ModelMarketplace.WrongKind.selector, 2, 1));
        notes.ask{value: 0.001 ether}(MINILM, "x", 1);
        vm.expectRevert(abi.encodeWithSelector(IBaiInference.InputTooLarge.selector, 2049, 2048));
        notes.embedText{value: 0.001 ether}(MINILM, string(new bytes(2049)));
        // maxTokens above the model's maxUnits: the precompile's UnitsTooLarge, through the marketplace
        vm.expectRevert(abi.encodeWithSelector(IBaiInference.UnitsTooLarge.selector, 129, 128));
        notes.ask{value: 0.002 ether}(SMOLLM, "x", 129);
        vm.expectRevert(abi.encodeWithSelector(IBaiInference.InvalidInput.selector, "maxUnits must be positive"));
        notes.ask{value: 0.002 ether}(SMOLLM, "x", 0);
        vm.stopPrank();

        vm.prank(OWNER);
        mkt.setActive(SMOLLM, false);
        vm.prank(user);
        vm.expectRevert(abi.encodeWithSelector(ModelMarketplace.ModelNotActive.selector, SMOLLM));
        notes.ask{value: 0.002 ether}(SMOLLM, "x", 1);
    }

    function test_reverts_wrongNote() public {
        vm.prank(user);
        uint256 id = notes.ask{value: 0.002 ether}(SMOLLM, "hi", 4);
        vm.expectRevert(abi.encodeWithSelector(AiNotes.WrongNote.selector, id, 1));
        notes.embeddingOf(id);
        vm.expectRevert(abi.encodeWithSelector(AiNotes.WrongNote.selector, 0, 2));
        notes.answerOf(0);
        vm.expectRevert(abi.encodeWithSelector(AiNotes.WrongNote.selector, id, 1));
        notes.similarity(id, id);

        _mockEmbed("a", _vec(1, 2));
        _mockEmbed("b", new int32[](3));
        vm.startPrank(user);
        uint256 a = notes.embedText{value: 0.001 ether}(MINILM, "a");
        uint256 b = notes.embedText{value: 0.001 ether}(MINILM, "b");
        vm.stopPrank();
        vm.expectRevert(abi.encodeWithSelector(AiNotes.DimensionMismatch.selector, 2, 3));
        notes.similarity(a, b);
    }

    // ----------------------------------------------------------------------------------------------
    // What the precompile refuses (mocked: the node is Rust; MockInference mirrors its checks)
    // ----------------------------------------------------------------------------------------------

    /// @dev Nobody can use a paid model without paying: a direct call is refused with PaymentRequired.
    function test_precompile_paidModelDirectCall_paymentRequired() public {
        DirectCaller d = new DirectCaller();
        vm.expectRevert(abi.encodeWithSelector(IBaiInference.PaymentRequired.selector, MINILM, 0.001 ether));
        d.embed(MINILM, "x");
        vm.expectRevert(abi.encodeWithSelector(IBaiInference.PaymentRequired.selector, SMOLLM, 0.002 ether));
        d.generate(SMOLLM, "x", 1);
        // quote is free and works from view functions
        assertEq(d.quote(SMOLLM, 10, 128), 100_000 + 16 * 10 + 20_000 * 128);
        assertEq(d.quote(MINILM, 2048, 256), 50_000 + 16 * 2048 + 500 * 256);
    }

    function test_precompile_directRefusals() public {
        DirectCaller d = new DirectCaller();
        vm.expectRevert(abi.encodeWithSelector(IBaiInference.UnknownModel.selector, keccak256("nope")));
        d.embed(keccak256("nope"), "x");
        vm.expectRevert(abi.encodeWithSelector(IBaiInference.UnknownModel.selector, keccak256("nope")));
        d.quote(keccak256("nope"), 1, 1);
        vm.expectRevert(abi.encodeWithSelector(IBaiInference.WrongModelKind.selector, SMOLLM, 1, 2));
        d.embed(SMOLLM, "x");
        vm.prank(OWNER);
        mkt.retire(MINILM);
        vm.expectRevert(abi.encodeWithSelector(IBaiInference.ModelNotActive.selector, MINILM, 3));
        d.embed(MINILM, "x");
    }

    function test_precompile_freeModel_staticAndGas() public {
        bytes32 free = keccak256("free-embedder");
        vm.prank(OWNER);
        mkt.registerModel(
            free,
            ModelMarketplace.ModelParams({
                kind: 1,
                maxInputBytes: 64,
                maxUnits: 256,
                baseGas: 50_000,
                gasPerUnit: 500,
                gasPerInputByte: 16,
                toleranceBps: 100,
                price: 0,
                operator: address(0)
            }),
            "free"
        );
        DirectCaller d = new DirectCaller();
        assertEq(d.embed(free, "abc")[0], 3); // free models need no marketplace
        (bool ok, bytes memory ret) = d.embedStatic(free, "abc");
        assertFalse(ok);
        assertEq(ret, abi.encodeWithSelector(IBaiInference.StaticCallNotAllowed.selector));
        // worst case 50,000 + 16·3 + 500·256 = 178,048 does not fit in 150,000 gas
        vm.expectPartialRevert(IBaiInference.InsufficientGas.selector);
        d.embed{gas: 150_000}(free, "abc");
    }

    /// @dev The pattern for your own tests: pin a refusal with vm.mockCallRevert.
    function test_mockCallRevert_unknownModel() public {
        bytes32 id = keccak256("mine");
        DirectCaller d = new DirectCaller();
        bytes memory err = abi.encodeWithSelector(IBaiInference.UnknownModel.selector, id);
        vm.mockCallRevert(PRECOMPILE, abi.encodeCall(IBaiInference.embed, (id, "x")), err);
        vm.expectRevert(err);
        d.embed(id, "x");
    }

    function test_deployScript() public {
        DeployAiNotes s = new DeployAiNotes();
        vm.setEnv("BAI_DEPLOYER_KEY", vm.toString(uint256(0xa11ce)));
        vm.setEnv("BAI_AINOTES_OUT", string.concat(vm.projectRoot(), "/out/ainotes.test.json"));
        AiNotes deployed = s.run();
        assertGt(address(deployed).code.length, 0);
        assertEq(address(deployed.MARKETPLACE()), Predeploys.MODEL_MARKETPLACE);
        string memory json = vm.readFile(string.concat(vm.projectRoot(), "/out/ainotes.test.json"));
        assertEq(vm.parseJsonAddress(json, ".AiNotes"), address(deployed));
        vm.setEnv("BAI_DEPLOYER_KEY", "0");
        vm.setEnv("BAI_AINOTES_OUT", "");
    }
}

/// @notice The minimal pattern for a project outside this repository: no genesis, no MockInference — put
///         placeholder code at the predeploy and mock the marketplace's getModel and embed (with the value).
contract AiNotesStandaloneMockTest is Test {
    function test_embedText_mockedMarketplace() public {
        address mkt = Predeploys.MODEL_MARKETPLACE;
        vm.etch(mkt, hex"00");
        bytes32 id = keccak256("model");
        ModelMarketplace.Model memory m;
        m.status = 1;
        m.kind = 1;
        m.price = 1 ether;
        vm.mockCall(mkt, abi.encodeCall(ModelMarketplace.getModel, (id)), abi.encode(m));
        int32[] memory v = new int32[](1);
        v[0] = 1_000_000;
        vm.mockCall(mkt, 1 ether, abi.encodeCall(ModelMarketplace.embed, (id, "hi")), abi.encode(v));

        AiNotes notes = new AiNotes();
        vm.expectCall(mkt, 1 ether, abi.encodeCall(ModelMarketplace.embed, (id, "hi")));
        uint256 nid = notes.embedText{value: 1 ether}(id, "hi");
        assertEq(notes.embeddingOf(nid)[0], 1_000_000);
        assertEq(mkt.balance, 1 ether);
    }
}
