import { createRequire } from 'node:module';
import { hexToBytes, keccak256, serializeTransaction, toHex, type Hex, type TransactionSerializableEIP1559 } from 'viem';
import { signTransaction } from 'viem/accounts';

type Secp256k1 = typeof import('secp256k1');

/** libsecp256k1 through the package's prebuilt native binding only; null where it cannot load. */
function loadNative(): Secp256k1 | null {
  try {
    return createRequire(import.meta.url)('secp256k1/bindings.js') as Secp256k1;
  } catch {
    return null;
  }
}

const native = loadNative();

/** Whether signing runs in libsecp256k1 (else in viem's pure-JS signer). */
export const nativeSigning = native !== null;

/**
 * Signs an EIP-1559 transaction. The bytes are the same as viem's signTransaction (RFC 6979
 * deterministic signatures); libsecp256k1 does it about ten times faster where its native binding
 * loads, and viem's signer does it everywhere else.
 */
export async function signEip1559(privateKey: Hex, transaction: TransactionSerializableEIP1559): Promise<Hex> {
  if (!native) return signTransaction({ privateKey, transaction });
  const hash = keccak256(serializeTransaction(transaction), 'bytes');
  const { signature, recid } = native.ecdsaSign(hash, hexToBytes(privateKey));
  return serializeTransaction(transaction, { r: toHex(signature.subarray(0, 32)), s: toHex(signature.subarray(32)), yParity: recid });
}
