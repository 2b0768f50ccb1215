/**
 * The pet's game rules as pure functions of a pet row and an instant: stages and evolution
 * requirements, stat decay, mood, streaks and the daily XP cap. The service persists what they decide.
 */
import type { PetsTable } from './pets.tables.js';
import { activeHours, addDays, daysBetween, DAY_MS, HOUR_MS, hoursUntilLocalMidnight, localDay, type Interval } from './pets.time.js';

export const STAGES = ['egg', 'baby', 'child', 'teen', 'adult', 'unicorn'] as const;
export type Stage = (typeof STAGES)[number];
export const MOODS = ['ecstatic', 'happy', 'content', 'hungry', 'tired', 'sad', 'sick'] as const;
export type Mood = (typeof MOODS)[number];
export const TRAITS = ['playful', 'curious', 'shy', 'cheerful', 'grumpy', 'lazy', 'brave', 'sleepy'] as const;
export type Trait = (typeof TRAITS)[number];
export const INTERACTIONS = ['feed', 'play', 'groom'] as const;
export type InteractionType = (typeof INTERACTIONS)[number];
/** A pet's name is at most this many user-perceived characters (graphemes). */
export const PET_NAME_MAX = 40;

/** One evolution requirement; a store can later add { kind: 'item', … } without changing the engine's shape. */
export type Requirement =
  | { kind: 'xp'; min: number }
  | { kind: 'ageDays'; min: number }
  | { kind: 'health'; min: number }
  | { kind: 'longestStreak'; min: number };

export interface StageDefinition {
  stage: Stage;
  requirements: Requirement[];
  /** Evolves by itself when met; otherwise waits for POST /pets/:id/evolve. */
  automatic: boolean;
}

/** The evolution table (docs/pets.md repeats it). */
export const EVOLUTION: StageDefinition[] = [
  { stage: 'egg', requirements: [], automatic: true },
  { stage: 'baby', requirements: [{ kind: 'xp', min: 50 }], automatic: true },
  { stage: 'child', requirements: [{ kind: 'xp', min: 200 }, { kind: 'ageDays', min: 4 }, { kind: 'health', min: 30 }], automatic: true },
  { stage: 'teen', requirements: [{ kind: 'xp', min: 500 }, { kind: 'ageDays', min: 6 }, { kind: 'health', min: 30 }], automatic: true },
  { stage: 'adult', requirements: [{ kind: 'xp', min: 1500 }, { kind: 'ageDays', min: 12 }, { kind: 'health', min: 30 }], automatic: true },
  {
    stage: 'unicorn',
    requirements: [{ kind: 'xp', min: 4000 }, { kind: 'ageDays', min: 30 }, { kind: 'health', min: 60 }, { kind: 'longestStreak', min: 14 }],
    automatic: false,
  },
];

export const INITIAL_STATS = { happiness: 80, health: 100, energy: 80 };
/** Points lost per active (non-vacation) hour. Health only falls once the pet has gone NEGLECT_AFTER_HOURS unfed. */
export const DECAY_PER_HOUR = { happiness: 2, energy: 1, health: 0.25 };
export const NEGLECT_AFTER_HOURS = 24;
export const HUNGRY_AFTER_HOURS = 12;
export const LONELY_AFTER_HOURS = 24;
export const DAILY_XP_CAP = 150;
export const CHAT_XP = 2;
export const SICK_BELOW = 30;
export const SAD_BELOW = 30;
export const TIRED_BELOW = 20;
/**
 * A pet needs care while one of its stats is below the level at which it feels it (sick, sad, tired),
 * checked in this order: the first one found is the one the owner is told about.
 */
export const CARE_BELOW: ReadonlyArray<{ stat: keyof Stats; below: number }> = [
  { stat: 'health', below: SICK_BELOW },
  { stat: 'happiness', below: SAD_BELOW },
  { stat: 'energy', below: TIRED_BELOW },
];
export const MAX_PETS_PER_USER = 10;
export const VACATION_MAX_DAYS = 14;
export const VACATION_COOLDOWN_DAYS = 30;
/** The hourly job warns when this few hours (or fewer) are left in the owner's day. */
export const STREAK_RISK_HOURS = 4;

export interface InteractionRule {
  xp: number;
  cooldownMinutes: number;
  effects: { happiness: number; health: number; energy: number };
  /** Energy the pet needs to do it. */
  minEnergy: number;
  lastColumn: 'last_fed_at' | 'last_played_at' | 'last_groomed_at';
}

export const INTERACTION_RULES: Record<InteractionType, InteractionRule> = {
  feed: { xp: 10, cooldownMinutes: 30, effects: { happiness: 5, health: 10, energy: 20 }, minEnergy: 0, lastColumn: 'last_fed_at' },
  play: { xp: 15, cooldownMinutes: 15, effects: { happiness: 20, health: 2, energy: -15 }, minEnergy: 15, lastColumn: 'last_played_at' },
  groom: { xp: 8, cooldownMinutes: 60, effects: { happiness: 10, health: 5, energy: 5 }, minEnergy: 0, lastColumn: 'last_groomed_at' },
};

export interface Stats {
  happiness: number;
  health: number;
  energy: number;
}

export const clamp = (v: number) => Math.min(100, Math.max(0, v));

export function level(xp: number): number {
  return 1 + Math.floor(Math.sqrt(xp / 20));
}

export function vacationOf(pet: Pick<PetsTable, 'vacation_start' | 'vacation_until'>): Interval | null {
  return pet.vacation_start && pet.vacation_until ? { start: pet.vacation_start, until: pet.vacation_until } : null;
}

export function onVacation(pet: Pick<PetsTable, 'vacation_start' | 'vacation_until'>, now: Date): boolean {
  return !!pet.vacation_start && !!pet.vacation_until && pet.vacation_start <= now && now < pet.vacation_until;
}

type PetState = Pick<
  PetsTable,
  | 'happiness' | 'health' | 'energy' | 'stats_at' | 'last_fed_at' | 'last_interaction_at' | 'created_at'
  | 'vacation_start' | 'vacation_until' | 'xp' | 'stage' | 'streak' | 'longest_streak' | 'streak_day' | 'xp_day' | 'xp_today'
>;

/** Hours the pet has gone without food, vacation excluded. */
export function hungerHours(pet: PetState, now: Date): number {
  return activeHours(pet.last_fed_at ?? pet.created_at, now, vacationOf(pet));
}

/** The stats as they are at `now`: the stored values minus decay over the active time since stats_at. */
export function currentStats(pet: PetState, now: Date): Stats {
  const pause = vacationOf(pet);
  const hours = activeHours(pet.stats_at, now, pause);
  const fedAt = pet.last_fed_at ?? pet.created_at;
  const neglectNow = Math.max(0, activeHours(fedAt, now, pause) - NEGLECT_AFTER_HOURS);
  const neglectBefore = Math.max(0, activeHours(fedAt, pet.stats_at, pause) - NEGLECT_AFTER_HOURS);
  return {
    happiness: clamp(pet.happiness - DECAY_PER_HOUR.happiness * hours),
    energy: clamp(pet.energy - DECAY_PER_HOUR.energy * hours),
    health: clamp(pet.health - DECAY_PER_HOUR.health * Math.max(0, neglectNow - neglectBefore)),
  };
}

export type Feeling = 'sick' | 'hungry' | 'sad' | 'tired';

/** Every need the pet has right now, most urgent first. */
export function feelings(stats: Stats, hunger: number, lonelyHours: number): Feeling[] {
  const out: Feeling[] = [];
  if (stats.health < SICK_BELOW) out.push('sick');
  if (hunger >= HUNGRY_AFTER_HOURS) out.push('hungry');
  if (stats.happiness < SAD_BELOW || lonelyHours >= LONELY_AFTER_HOURS) out.push('sad');
  if (stats.energy < TIRED_BELOW) out.push('tired');
  return out;
}

/** The single mood shown for the pet: its most urgent need, else how good its stats are. */
export function moodOf(stats: Stats, needs: Feeling[]): Mood {
  if (needs.length) return needs[0];
  if (stats.happiness >= 90 && stats.health >= 80 && stats.energy >= 50) return 'ecstatic';
  if (stats.happiness >= 65) return 'happy';
  return 'content';
}

/**
 * The stat that makes the pet need care now (the most urgent of CARE_BELOW), or null. Hunger and
 * loneliness alone are not enough: a pet fed once a day is hungry every evening, and the owner is
 * only told when neglect shows in a stat.
 */
export function careNeed(stats: Stats): { stat: keyof Stats; value: number } | null {
  const found = CARE_BELOW.find((c) => stats[c.stat] < c.below);
  return found ? { stat: found.stat, value: Math.round(stats[found.stat]) } : null;
}

export interface Condition {
  stats: Stats;
  mood: Mood;
  feelings: Feeling[];
}

export function conditionAt(pet: PetState, now: Date): Condition {
  const stats = currentStats(pet, now);
  const lonely = activeHours(pet.last_interaction_at ?? pet.created_at, now, vacationOf(pet));
  const needs = feelings(stats, hungerHours(pet, now), lonely);
  return { stats, mood: moodOf(stats, needs), feelings: needs };
}

/** Every missed day between lastDay (exclusive) and today (exclusive) was inside the vacation. */
function gapCovered(lastDay: string, today: string, pet: PetState, tz: string): boolean {
  const gap = daysBetween(lastDay, today) - 1;
  if (gap <= 0) return true;
  const pause = vacationOf(pet);
  if (!pause) return false;
  const from = localDay(pause.start, tz);
  const to = localDay(new Date(pause.until.getTime() - 1), tz);
  return from <= addDays(lastDay, 1) && to >= addDays(today, -1);
}

export interface StreakState {
  current: number;
  longest: number;
  lastDay: string | null;
  /** The stored streak was broken by a missed day (not yet written down). */
  broken: boolean;
  /** Today has no interaction yet and the streak dies at local midnight. */
  atRisk: boolean;
  hoursLeft: number;
}

/** The streak as the owner sees it now in their time zone. */
export function streakAt(pet: PetState, now: Date, tz: string): StreakState {
  const today = localDay(now, tz);
  const hoursLeft = hoursUntilLocalMidnight(now, tz);
  const base = { longest: pet.longest_streak, lastDay: pet.streak_day, hoursLeft };
  if (!pet.streak_day || pet.streak === 0) return { ...base, current: 0, broken: false, atRisk: false };
  if (pet.streak_day >= today) return { ...base, current: pet.streak, broken: false, atRisk: false };
  if (!gapCovered(pet.streak_day, today, pet, tz)) return { ...base, current: 0, broken: true, atRisk: false };
  const resting = onVacation(pet, now);
  return { ...base, current: pet.streak, broken: false, atRisk: !resting };
}

/**
 * The owner's local day for a pet, never earlier than a day it already recorded: after a switch to a
 * zone further west "today" can be the recorded day's eve, which counts as the recorded day itself,
 * so changing time zones cannot replay a day (a second daily XP cap, another streak day).
 */
export function petDay(recorded: string | null, now: Date, tz: string): string {
  const today = localDay(now, tz);
  return recorded && recorded > today ? recorded : today;
}

/** The streak after an interaction now: kept today (or on a day at or before the last counted one), +1 after yesterday (or a vacation), else restarted at 1. */
export function streakAfterActivity(pet: PetState, now: Date, tz: string): { streak: number; longest: number; day: string; lost: number } {
  const today = petDay(pet.streak_day, now, tz);
  const state = streakAt(pet, now, tz);
  if (pet.streak_day === today && pet.streak > 0) return { streak: pet.streak, longest: pet.longest_streak, day: today, lost: 0 };
  const streak = state.current > 0 ? state.current + 1 : 1;
  return { streak, longest: Math.max(pet.longest_streak, streak), day: today, lost: state.broken ? pet.streak : 0 };
}

/** XP actually granted now: halved while sick (neglect slows growth) and capped per local day (petDay: never an earlier one). */
export function grantXp(pet: PetState, amount: number, sick: boolean, now: Date, tz: string): { gained: number; xpDay: string; xpToday: number } {
  const day = petDay(pet.xp_day, now, tz);
  const already = pet.xp_day === day ? pet.xp_today : 0;
  const wanted = sick ? Math.floor(amount / 2) : amount;
  const gained = Math.max(0, Math.min(wanted, DAILY_XP_CAP - already));
  return { gained, xpDay: day, xpToday: already + gained };
}

export interface RequirementStatus {
  kind: Requirement['kind'];
  required: number;
  current: number;
  met: boolean;
}

export interface EvolutionFacts {
  xp: number;
  ageDays: number;
  health: number;
  longestStreak: number;
}

export function factsOf(pet: PetState, stats: Stats, now: Date): EvolutionFacts {
  return {
    xp: pet.xp,
    ageDays: Math.floor((now.getTime() - pet.created_at.getTime()) / DAY_MS),
    health: Math.round(stats.health),
    longestStreak: pet.longest_streak,
  };
}

export function requirementStatus(def: StageDefinition, facts: EvolutionFacts): RequirementStatus[] {
  return def.requirements.map((r) => {
    const current = facts[r.kind];
    return { kind: r.kind, required: r.min, current, met: current >= r.min };
  });
}

export function nextStage(stage: string): StageDefinition | null {
  const i = STAGES.indexOf(stage as Stage);
  return i >= 0 && i < STAGES.length - 1 ? EVOLUTION[i + 1] : null;
}

/** The automatic evolutions due now, in order (several after time away). */
export function dueEvolutions(stage: string, facts: EvolutionFacts): Stage[] {
  const steps: Stage[] = [];
  let next = nextStage(stage);
  while (next && next.automatic && requirementStatus(next, facts).every((r) => r.met)) {
    steps.push(next.stage);
    next = nextStage(next.stage);
  }
  return steps;
}

export { HOUR_MS };
