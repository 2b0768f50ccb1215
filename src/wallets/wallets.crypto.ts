import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { Hex } from 'viem';

const VERSION = 'v1';

function seal(key: Buffer, plaintext: Buffer, aad: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(aad));
  const ct = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return [iv, cipher.getAuthTag(), ct].map((b) => b.toString('base64url')).join('.');
}

function open(key: Buffer, sealed: string, aad: string): Buffer {
  const [iv, tag, ct] = sealed.split('.').map((p) => Buffer.from(p, 'base64url'));
  const decipher = createDecipheriv('aes-256-gcm', key, iv);
  decipher.setAAD(Buffer.from(aad));
  decipher.setAuthTag(tag);
  return Buffer.concat([decipher.update(ct), decipher.final()]);
}

/**
 * Envelope encryption of wallet keys: each private key is sealed (AES-256-GCM) with its own random
 * data key, and the data key is sealed with the master key; both are bound to the wallet address.
 */
export class KeyVault {
  private readonly master: Buffer;

  constructor(masterKeyHex: string) {
    this.master = Buffer.from(masterKeyHex, 'hex');
    if (this.master.length !== 32) throw new Error('wallet master key must be 32 bytes');
  }

  seal(privateKey: Hex, address: string): string {
    const dataKey = randomBytes(32);
    try {
      const wrapped = seal(this.master, dataKey, `dk:${address.toLowerCase()}`);
      const body = seal(dataKey, Buffer.from(privateKey.slice(2), 'hex'), `pk:${address.toLowerCase()}`);
      return `${VERSION}:${wrapped}:${body}`;
    } finally {
      dataKey.fill(0);
    }
  }

  open(sealed: string, address: string): Hex {
    const [version, wrapped, body] = sealed.split(':');
    if (version !== VERSION || !wrapped || !body) throw new Error('unknown wallet key format');
    const dataKey = open(this.master, wrapped, `dk:${address.toLowerCase()}`);
    try {
      return `0x${open(dataKey, body, `pk:${address.toLowerCase()}`).toString('hex')}`;
    } finally {
      dataKey.fill(0);
    }
  }
}
