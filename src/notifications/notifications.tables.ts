import type { Generated } from 'kysely';
import type { Json, Timestamp } from '../platform/db/db.types.js';

export type NotificationPriority = 'low' | 'normal' | 'high' | 'urgent';

export interface NotificationsTable {
  id: string;
  user_id: string;
  type: string;
  priority: Generated<NotificationPriority>;
  title: string;
  body: string;
  data: Json;
  /** The template, params and catalog-key params it was rendered from (NotificationRender), or null. */
  render: Json | null;
  source_event_id: string | null;
  created_at: Generated<Date>;
  seen_at: Date | null;
  read_at: Date | null;
  archived_at: Date | null;
  expires_at: Timestamp | null;
}

export interface NotificationPreferencesTable {
  user_id: string;
  type: string;
  muted: boolean;
  updated_at: Generated<Date>;
}

export interface AnnouncementsTable {
  id: string;
  author_id: string | null;
  title: string;
  body: string;
  priority: NotificationPriority;
  created_at: Generated<Date>;
  expires_at: Timestamp | null;
}

export interface NotificationEmailPreferencesTable {
  user_id: string;
  category: string;
  enabled: boolean;
  updated_at: Generated<Date>;
}

export interface NotificationEmailWindowsTable {
  user_id: string;
  category: string;
  mailed_at: Date;
}

export interface NotificationEmailsTable {
  notification_id: string;
  user_id: string;
  category: string;
  created_at: Generated<Date>;
  sent_at: Date | null;
  skipped: string | null;
  last_error: string | null;
}

export interface NotificationsTables {
  notifications: NotificationsTable;
  notification_email_preferences: NotificationEmailPreferencesTable;
  notification_email_windows: NotificationEmailWindowsTable;
  notification_emails: NotificationEmailsTable;
  notification_preferences: NotificationPreferencesTable;
  announcements: AnnouncementsTable;
}
