import type { Generated } from 'kysely';
import type { Json } from '../platform/db/db.types.js';

export const ACTIVITY_CATEGORIES = ['auth', 'pet', 'wallet', 'social', 'purchase', 'system'] as const;
export type ActivityCategory = (typeof ACTIVITY_CATEGORIES)[number];

/** Partitioned by UTC day on created_at (see migrations/0410_activity.sql). */
export interface ActivityLogTable {
  id: string;
  event_id: string | null;
  user_id: string | null;
  pet_id: string | null;
  action: string;
  category: ActivityCategory;
  source: Generated<'server' | 'client'>;
  details: Json;
  metadata: Json;
  ip_address: string | null;
  user_agent: string | null;
  created_at: Date;
}

export interface ActivityTables {
  activity_log: ActivityLogTable;
}
