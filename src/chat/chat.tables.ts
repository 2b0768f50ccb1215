import type { ColumnType, Generated } from 'kysely';
import type { Json } from '../platform/db/db.types.js';

export type Sender = 'user' | 'pet' | 'system';

export interface ChatMessagesTable {
  id: string;
  user_id: string;
  pet_id: string;
  sender: Sender;
  content: string;
  lang: string;
  search: ColumnType<string, never, never>;
  metadata: Json;
  created_at: Date;
  read_at: Date | null;
}

export interface ChatThreadsTable {
  user_id: string;
  pet_id: string;
  total: Generated<number>;
  unread: Generated<number>;
  last_message_at: Date | null;
}

export interface ChatTables {
  chat_messages: ChatMessagesTable;
  chat_threads: ChatThreadsTable;
}
