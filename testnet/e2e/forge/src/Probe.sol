// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// Small contract the client tests drive: state writes, indexed events, reverts with reasons and
/// custom errors, and a loop that burns a caller-chosen amount of gas (for eth_estimateGas).
contract Probe {
    event Ping(address indexed from, uint256 indexed n, string note);
    event Deposit(address indexed from, uint256 amount);

    error Custom(uint256 code, string why);

    uint256 public counter;
    mapping(uint256 => uint256) public slots;

    function ping(string calldata note) external returns (uint256) {
        counter += 1;
        emit Ping(msg.sender, counter, note);
        return counter;
    }

    function deposit() external payable {
        emit Deposit(msg.sender, msg.value);
    }

    function fail(string calldata reason) external pure {
        revert(reason);
    }

    function failCustom(uint256 code) external pure {
        revert Custom(code, "custom");
    }

    /// Reads another Probe's counter (a cross-contract storage access, for eth_createAccessList).
    function peek(Probe other) external view returns (uint256) {
        return other.counter();
    }

    /// Writes `n` fresh storage slots, so gas use grows with `n`.
    function burn(uint256 n) external {
        uint256 base = counter;
        for (uint256 i = 0; i < n; i++) {
            slots[base + i] = i + 1;
        }
        counter = base + n;
    }
}
