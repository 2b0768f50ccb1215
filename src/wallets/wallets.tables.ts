import type { ColumnType, Generated } from 'kysely';
import type { Json } from '../platform/db/db.types.js';

type Numeric = ColumnType<string, string | bigint, string | bigint>;
type BigCounter = ColumnType<string | number, string | number | bigint | undefined, string | number | bigint>;

export type WalletKind = 'user' | 'pet' | 'treasury';
export type TxType = 'purchase' | 'transfer' | 'evolution' | 'gift' | 'basename' | 'bulk' | 'faucet' | 'gas';
export type TxStatus = 'queued' | 'pending' | 'confirmed' | 'failed';
export type TxCall = 'erc20_transfer' | 'mint' | 'native' | 'external';
export type IntentStatus = 'created' | 'funded' | 'executed' | 'cancelled' | 'expired';

export interface WalletsTable {
  id: string;
  kind: WalletKind;
  user_id: string | null;
  pet_id: string | null;
  address: string;
  encrypted_key: string;
  next_nonce: BigCounter;
  created_at: Generated<Date>;
}

export interface ChainDeploymentsTable {
  chain_id: number;
  token_address: string;
  token_symbol: string;
  token_decimals: number;
  batch_transfer_address: string | null;
  treasury_wallet_id: string;
  deployed: boolean;
  created_at: Generated<Date>;
}

export interface TransactionsTable {
  id: string;
  hash: string | null;
  type: TxType;
  status: TxStatus;
  call: TxCall;
  chain_id: number;
  network: string;
  from_address: string;
  to_address: string;
  from_wallet_id: string | null;
  to_wallet_id: string | null;
  user_id: string | null;
  to_user_id: string | null;
  pet_id: string | null;
  amount: Numeric;
  token: string;
  token_address: string | null;
  memo: string | null;
  nonce: BigCounter | null;
  raw_tx: string | null;
  /** Hashes the row was sent with before a fee bump replaced them (the current one is `hash`). */
  replaced_hashes: Generated<string[]>;
  request_key: string | null;
  block_number: BigCounter | null;
  gas_used: Numeric | null;
  gas_fee: Numeric | null;
  error: string | null;
  metadata: Json;
  created_at: Generated<Date>;
  submitted_at: Date | null;
  finalized_at: Date | null;
  updated_at: Generated<Date>;
}

export interface BasenamesTable {
  name: string;
  wallet_id: string;
  user_id: string;
  transaction_id: string | null;
  registered_at: Generated<Date>;
  expires_at: Date;
  updated_at: Generated<Date>;
}

export interface BasenameHistoryTable {
  id: string;
  name: string;
  action: 'registered' | 'updated' | 'transferred';
  user_id: string;
  wallet_id: string;
  transaction_id: string | null;
  transaction_hash: string | null;
  cost: Numeric;
  expires_at: Date;
  created_at: Generated<Date>;
}

export interface PaymentIntentsTable {
  id: string;
  requester_id: string;
  requester_wallet_id: string;
  payer_id: string | null;
  payer_address: string;
  payer_label: string;
  amount: Numeric;
  token: string;
  memo: string | null;
  status: IntentStatus;
  transaction_id: string | null;
  expires_at: Date;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface PayConfirmationsTable {
  code: string;
  user_id: string;
  request: Json;
  expires_at: Date;
  used_at: Date | null;
  created_at: Generated<Date>;
}

/** What a user sent per token per UTC hour (the unverified daily limit's running sums). */
export interface SpendBucketsTable {
  user_id: string;
  token: string;
  hour: Date;
  amount: string;
}

export interface WalletsTables {
  wallets: WalletsTable;
  chain_deployments: ChainDeploymentsTable;
  transactions: TransactionsTable;
  basenames: BasenamesTable;
  basename_history: BasenameHistoryTable;
  payment_intents: PaymentIntentsTable;
  pay_confirmations: PayConfirmationsTable;
  spend_buckets: SpendBucketsTable;
}
