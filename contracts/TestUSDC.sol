// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";

/// @title Test USDC for the embedded chain: 6 decimals like USDC; only the treasury (owner) mints.
contract TestUSDC is ERC20, Ownable {
    constructor(address treasury) ERC20("Test USD Coin", "USDC") Ownable(treasury) {}

    function decimals() public pure override returns (uint8) {
        return 6;
    }

    /// @notice Creates `amount` base units for `to` (the faucet).
    function mint(address to, uint256 amount) external onlyOwner {
        _mint(to, amount);
    }
}
