import { describe, expect, it } from 'vitest';
import { parseGwei, recoverTransactionAddress, type Address } from 'viem';
import { generatePrivateKey, privateKeyToAccount, signTransaction } from 'viem/accounts';
import { nativeSigning, signEip1559 } from './chain.signer.js';

describe('signEip1559', () => {
  it('runs in libsecp256k1 on this machine', () => {
    expect(nativeSigning).toBe(true);
  });

  it('produces the same bytes as viem for many keys and transactions, recoverable to the signer', async () => {
    for (let i = 0; i < 50; i++) {
      const privateKey = generatePrivateKey();
      const transaction = {
        chainId: 31337 + (i % 3),
        nonce: i * 7,
        type: 'eip1559' as const,
        maxFeePerGas: parseGwei(String(1 + i)),
        maxPriorityFeePerGas: parseGwei('1'),
        gas: 120_000n,
        to: privateKeyToAccount(generatePrivateKey()).address as Address,
        value: BigInt(i),
        data: i % 2 ? ('0xa9059cbb' as const) : undefined,
      };
      const ours = await signEip1559(privateKey, transaction);
      expect(ours).toBe(await signTransaction({ privateKey, transaction }));
      expect(await recoverTransactionAddress({ serializedTransaction: ours as `0x02${string}` })).toBe(privateKeyToAccount(privateKey).address);
    }
  });
});
