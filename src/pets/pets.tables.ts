import type { Json } from '../platform/db/db.types.js';

/** A calendar day in the owner's time zone, 'YYYY-MM-DD'. */
export type DayColumn = string | null;

export interface PetsTable {
  id: string;
  user_id: string;
  name: string;
  personality: string[];
  stage: string;
  xp: number;
  happiness: number;
  health: number;
  energy: number;
  stats_at: Date;
  mood: string;
  last_interaction_at: Date | null;
  last_fed_at: Date | null;
  last_played_at: Date | null;
  last_groomed_at: Date | null;
  streak: number;
  longest_streak: number;
  streak_day: DayColumn;
  xp_day: DayColumn;
  xp_today: number;
  vacation_start: Date | null;
  vacation_until: Date | null;
  streak_risk_day: DayColumn;
  /** When the owner was told the pet needs care; null once no stat is below its level again. */
  care_alerted_at: Date | null;
  created_at: Date;
  updated_at: Date;
  deleted_at: Date | null;
}

export interface PetHistoryTable {
  id: string;
  pet_id: string;
  kind: 'created' | 'interaction' | 'mood' | 'evolution' | 'vacation' | 'streak_lost' | 'renamed';
  data: Json;
  created_at: Date;
}

export interface PetsTables {
  pets: PetsTable;
  pet_history: PetHistoryTable;
}
