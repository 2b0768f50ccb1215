// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";

/// @title Many ERC-20 transfers in one transaction (bulk payouts).
/// @notice The sender approves this contract for the total first; every transfer succeeds or the whole batch reverts.
contract BatchTransfer {
    using SafeERC20 for IERC20;

    event BatchSent(address indexed token, address indexed sender, uint256 count, uint256 total);

    error LengthMismatch();
    error EmptyBatch();

    function batchTransfer(IERC20 token, address[] calldata recipients, uint256[] calldata amounts) external {
        uint256 n = recipients.length;
        if (n == 0) revert EmptyBatch();
        if (n != amounts.length) revert LengthMismatch();
        uint256 total = 0;
        for (uint256 i = 0; i < n; ++i) {
            token.safeTransferFrom(msg.sender, recipients[i], amounts[i]);
            total += amounts[i];
        }
        emit BatchSent(address(token), msg.sender, n, total);
    }
}
