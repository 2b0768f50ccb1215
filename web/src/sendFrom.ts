/** What the choice needs to know of a wallet (the app's `Wallet`, from GET /wallets). */
export interface OwnWallet {
  id: string;
  kind: string;
  petId: string | null;
}

/** A wallet the send form can pay from: the user's own, or one of their pets' (named after the pet). */
export interface SendingWallet<W extends OwnWallet = OwnWallet> {
  wallet: W;
  /** The pet's name for a pet wallet; null for the user's own wallet. */
  petName: string | null;
}

/**
 * The wallets the send form offers in its "From" choice (POST /transfers `fromWalletId`): the user wallet
 * first, then each pet's wallet in the order of the pets. A pet without a wallet is not offered, nor a pet
 * wallet whose pet is not (or not yet) in the list, since it could not be named.
 */
export function sendingWallets<W extends OwnWallet>(wallets: readonly W[], pets: readonly { id: string; name: string }[]): SendingWallet<W>[] {
  const user = wallets.filter((w) => w.kind === 'user').map((wallet) => ({ wallet, petName: null }));
  const own = pets.flatMap((pet) => {
    const wallet = wallets.find((w) => w.kind === 'pet' && w.petId === pet.id);
    return wallet ? [{ wallet, petName: pet.name }] : [];
  });
  return [...user, ...own];
}

/** The chosen wallet among the choices, or the first one (the user wallet) when none or a vanished one is chosen. */
export function chosenSendingWallet<W extends OwnWallet>(choices: readonly SendingWallet<W>[], id: string | null): SendingWallet<W> | null {
  return choices.find((c) => c.wallet.id === id) ?? choices[0] ?? null;
}
