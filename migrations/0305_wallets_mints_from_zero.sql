-- Faucet grants are mints: on chain a Transfer from the zero address, signed by the treasury. They were
-- stored as sent by the treasury, so its ledger counted as sent money it never held. Rows already
-- written are restated as the chain shows them, the treasury kept in metadata as the minter.
update transactions
set from_address = '0x0000000000000000000000000000000000000000',
    metadata = metadata || jsonb_build_object('minter', from_address)
where call = 'mint' and from_address <> '0x0000000000000000000000000000000000000000';
