import { describe, expect, it } from 'vitest';
import type { Wallet } from '../../web/src/model.js';
import { chosenSendingWallet, sendingWallets } from '../../web/src/sendFrom.js';

const wallet = (id: string, kind: string, petId: string | null, balance = '0'): Wallet => ({ id, address: `0x${id}`, kind, petId, balance, gasBalance: null, token: 'USDC' });
const user = wallet('u', 'user', null, '10');
const mochi = wallet('m', 'pet', 'p-mochi', '2.5');
const biscuit = wallet('b', 'pet', 'p-biscuit', '1');
const pets = [
  { id: 'p-biscuit', name: 'Biscuit' },
  { id: 'p-tofu', name: 'Tofu' },
  { id: 'p-mochi', name: 'Mochi' },
];

describe('the wallets the send form pays from', () => {
  it('offers the user wallet first, then each pet wallet named after its pet, in the order of the pets', () => {
    expect(sendingWallets([mochi, user, biscuit], pets)).toEqual([
      { wallet: user, petName: null },
      { wallet: biscuit, petName: 'Biscuit' },
      { wallet: mochi, petName: 'Mochi' },
    ]);
  });

  it('leaves out a pet without a wallet and a pet wallet whose pet it cannot name', () => {
    expect(sendingWallets([user, mochi], [{ id: 'p-tofu', name: 'Tofu' }])).toEqual([{ wallet: user, petName: null }]);
    expect(sendingWallets([user], [])).toEqual([{ wallet: user, petName: null }]);
  });

  it('keeps the chosen wallet, and falls back to the user wallet when none or a vanished one is chosen', () => {
    const choices = sendingWallets([user, mochi], pets);
    expect(chosenSendingWallet(choices, 'm')?.wallet).toBe(mochi);
    expect(chosenSendingWallet(choices, null)?.wallet).toBe(user);
    expect(chosenSendingWallet(choices, 'gone')?.wallet).toBe(user);
    expect(chosenSendingWallet([], 'm')).toBeNull();
  });
});
