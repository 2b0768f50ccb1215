import { randomInt } from 'node:crypto';
import type { Insertable, Updateable } from 'kysely';
import { uuidv7 } from 'uuidv7';
import type { AppDeps } from '../platform/deps.js';
import { withTransaction, type Executor, type Tx } from '../platform/db/db.transaction.js';
import type { EventCatalog } from '../platform/events/events.catalog.js';
import { assertMayName, type ActorContext } from '../platform/http/http.context.js';
import { decodeCursor, toPage } from '../platform/http/http.pagination.js';
import type { AuthUser } from '../platform/http/http.types.js';
import { Clock } from './pets.clock.js';
import { petError } from './pets.errors.js';
import { petsRepo, type OwnedPetRow, type PetHistoryRow } from './pets.repo.js';
import {
  CHAT_XP, DAILY_XP_CAP, careNeed, INITIAL_STATS, INTERACTION_RULES, MAX_PETS_PER_USER, STREAK_RISK_HOURS, TRAITS,
  VACATION_COOLDOWN_DAYS, VACATION_MAX_DAYS, clamp, conditionAt, dueEvolutions, factsOf, grantXp, level, nextStage,
  onVacation, petDay, requirementStatus, streakAfterActivity, streakAt, type InteractionType, type Mood, type RequirementStatus,
  type Stage, type Trait,
} from './pets.rules.js';
import type { PetHistoryTable, PetsTable } from './pets.tables.js';
import { DAY_MS, localDay, safeTimeZone } from './pets.time.js';

/** Who acts on a pet: a signed-in user (owner or admin) and where the request came from. */
export interface PetActor extends ActorContext {
  user: AuthUser;
}

export interface PetView {
  id: string;
  userId: string;
  name: string;
  personality: string[];
  stage: string;
  level: number;
  xp: number;
  xpToday: number;
  xpDailyCap: number;
  nextStage: { stage: string; xpRequired: number; automatic: boolean } | null;
  stats: { happiness: number; health: number; energy: number };
  mood: Mood;
  feelings: string[];
  streak: { current: number; longest: number; lastDay: string | null; atRisk: boolean; hoursLeft: number | null };
  vacation: { active: boolean; start: string; until: string } | null;
  lastInteractionAt: string | null;
  createdAt: string;
  updatedAt: string;
}

type PendingEvent = { [K in keyof EventCatalog]: { type: K; data: EventCatalog[K] } }[keyof EventCatalog];

/** Writes collected while applying the rules to a locked pet, flushed once. */
interface Pending {
  row: OwnedPetRow;
  moodBefore: string;
  patch: Updateable<PetsTable>;
  history: Insertable<PetHistoryTable>[];
  events: PendingEvent[];
}

/** What a chat message did for its pet: the pet now, its row, and the XP it earned. */
export interface ChatActivity {
  pet: PetView;
  row: OwnedPetRow;
  xpGained: number;
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);

/** The hourly jobs act as this admin-like actor (no user of that id exists; the events name no actor). */
const SYSTEM_ACTOR: PetActor = { user: { id: '00000000-0000-0000-0000-000000000000', role: 'admin', sessionId: null }, ip: null, userAgent: null };

/** How a write settles a pet. alertCare: the sweep may tell the owner the pet needs care (reads and the owner's own actions never do). */
interface SettleOptions {
  alertCare?: boolean;
}

/** Pets: ownership, stats decay, interactions, streaks, evolution and vacations. Time comes from `clock`. */
export class PetsService {
  constructor(
    private readonly deps: AppDeps,
    readonly clock: Clock = new Clock(),
  ) {}

  /** The pet as its owner sees it at `now` (decayed stats, mood, live streak). */
  view(row: OwnedPetRow, now = this.clock.now()): PetView {
    const tz = safeTimeZone(row.owner_timezone);
    const cond = conditionAt(row, now);
    const streak = streakAt(row, now, tz);
    const next = nextStage(row.stage);
    const xpRule = next?.requirements.find((r) => r.kind === 'xp');
    return {
      id: row.id,
      userId: row.user_id,
      name: row.name,
      personality: row.personality,
      stage: row.stage,
      level: level(row.xp),
      xp: row.xp,
      xpToday: row.xp_day === petDay(row.xp_day, now, tz) ? row.xp_today : 0,
      xpDailyCap: DAILY_XP_CAP,
      nextStage: next ? { stage: next.stage, xpRequired: xpRule?.min ?? 0, automatic: next.automatic } : null,
      stats: { happiness: Math.round(cond.stats.happiness), health: Math.round(cond.stats.health), energy: Math.round(cond.stats.energy) },
      mood: cond.mood,
      feelings: cond.feelings,
      streak: {
        current: streak.current,
        longest: row.longest_streak,
        lastDay: row.streak_day,
        atRisk: streak.atRisk,
        hoursLeft: streak.atRisk ? Math.round(streak.hoursLeft * 10) / 10 : null,
      },
      vacation: row.vacation_start && row.vacation_until
        ? { active: onVacation(row, now), start: row.vacation_start.toISOString(), until: row.vacation_until.toISOString() }
        : null,
      lastInteractionAt: iso(row.last_interaction_at),
      createdAt: row.created_at.toISOString(),
      updatedAt: row.updated_at.toISOString(),
    };
  }

  /** Loads a live pet (or, with includeDeleted, a deleted one too) the actor may see (owner or admin); anyone else gets the same 404 as a missing pet. */
  async requirePet(ex: Executor, actor: { user: AuthUser }, petId: string, opts: { lock?: boolean; includeDeleted?: boolean } = {}): Promise<OwnedPetRow> {
    const row = await petsRepo.find(ex, petId, opts);
    if (!row || (row.user_id !== actor.user.id && actor.user.role !== 'admin')) throw petError('pet_not_found');
    return row;
  }

  /** Lists the caller's pets (an admin may name another user). */
  async list(actor: PetActor, userId?: string): Promise<PetView[]> {
    // another user's pets are for admins only, as with the activity log: a 403, never a silent swap
    assertMayName(actor.user, userId);
    const owner = userId ?? actor.user.id;
    const now = this.clock.now();
    const rows = await petsRepo.listByUser(this.deps.db, owner);
    return rows.map((r) => this.view(r, now));
  }

  /** Adopts a new egg with the chosen personality traits (two random ones when none are given). */
  async create(actor: PetActor, input: { name: string; personality?: Trait[] }): Promise<PetView> {
    const now = this.clock.now();
    return withTransaction(this.deps.db, async (trx) => {
      await petsRepo.lockUser(trx, actor.user.id);
      if ((await petsRepo.countByUser(trx, actor.user.id)) >= MAX_PETS_PER_USER) throw petError('pet_limit_reached', { max: MAX_PETS_PER_USER });
      const id = uuidv7();
      const personality = input.personality?.length ? [...new Set(input.personality)] : randomTraits(2);
      await petsRepo.insert(trx, {
        id,
        user_id: actor.user.id,
        name: input.name,
        personality,
        stage: 'egg',
        xp: 0,
        ...INITIAL_STATS,
        stats_at: now,
        mood: 'happy',
        streak: 0,
        longest_streak: 0,
        xp_today: 0,
        created_at: now,
        updated_at: now,
      });
      await petsRepo.addHistory(trx, [{ id: uuidv7(), pet_id: id, kind: 'created', data: JSON.stringify({ name: input.name, personality }), created_at: now }]);
      await this.deps.events.record(trx, { type: 'pet.created', actorId: actor.user.id, userIds: [actor.user.id], petId: id, data: { name: input.name, stage: 'egg' }, context: actor });
      const row = await this.requirePet(trx, actor, id);
      return this.view(row, now);
    });
  }

  /** Reads a pet; writes down what time has decided since the last visit (evolutions, a lost streak, a mood change). */
  async get(actor: PetActor, petId: string): Promise<PetView> {
    const now = this.clock.now();
    const row = await this.requirePet(this.deps.db, actor, petId);
    if (!this.needsSettling(row, now)) return this.view(row, now);
    return this.mutate(actor, petId, () => undefined);
  }

  /** Renames a pet. */
  async rename(actor: PetActor, petId: string, name: string): Promise<PetView> {
    return this.mutate(actor, petId, (p) => {
      const from = p.row.name;
      if (from === name) return;
      set(p, { name });
      p.history.push(historyRow(p.row.id, 'renamed', { from, to: name }, p.row.updated_at));
      p.events.push({ type: 'pet.updated', data: { fields: ['name'] } });
    });
  }

  /** On account deletion (the account.deleted event): the owner's pets go, with their names and timelines. */
  async eraseOwner(trx: Tx, userId: string): Promise<void> {
    await petsRepo.eraseOwner(trx, userId);
  }

  /** Soft-deletes a pet; its chat history stays for export. */
  async remove(actor: PetActor, petId: string): Promise<void> {
    const now = this.clock.now();
    await withTransaction(this.deps.db, async (trx) => {
      const row = await this.requirePet(trx, actor, petId, { lock: true });
      await petsRepo.update(trx, row.id, { deleted_at: now, updated_at: now });
      await this.deps.events.record(trx, { type: 'pet.deleted', actorId: actor.user.id, userIds: [row.user_id], petId: row.id, data: {}, context: actor });
    });
  }

  /** Feed, play or groom: effects on the stats, a cooldown, streak credit and XP under the daily cap. */
  async interact(actor: PetActor, petId: string, type: InteractionType): Promise<{ pet: PetView; xpGained: number }> {
    let xpGained = 0;
    const pet = await this.mutate(actor, petId, (p, now) => {
      const rule = INTERACTION_RULES[type];
      const last = p.row[rule.lastColumn];
      const waitMs = last ? last.getTime() + rule.cooldownMinutes * 60_000 - now.getTime() : 0;
      // context picks the sentence written for this action in each locale (detail_feed_one, …)
      if (waitMs > 0) throw petError('pet_interaction_cooldown', { context: type, count: Math.ceil(waitMs / 1000) });
      const cond = conditionAt(p.row, now);
      if (cond.stats.energy < rule.minEnergy) throw petError('pet_too_tired', { context: type });
      const stats = {
        happiness: clamp(p.row.happiness + rule.effects.happiness),
        health: clamp(p.row.health + rule.effects.health),
        energy: clamp(p.row.energy + rule.effects.energy),
      };
      set(p, { ...stats, [rule.lastColumn]: now });
      xpGained = this.credit(p, now, rule.xp, cond.feelings.includes('sick'));
      const shown = { happiness: Math.round(stats.happiness), health: Math.round(stats.health), energy: Math.round(stats.energy) };
      p.history.push(historyRow(p.row.id, 'interaction', { type, xpGained, stats: shown }, now));
      p.events.push({ type: 'pet.interacted', data: { interaction: type, xpGained, stats: shown } });
    });
    return { pet, xpGained };
  }

  /**
   * A chat message from the owner counts as the day's activity: streak credit, a little happiness
   * and CHAT_XP under the daily cap (credit: false for slash commands, which only bring the pet up to now).
   * Runs on the chat service's transaction with the pet row locked; only the owner may chat.
   */
  async chatActivity(trx: Tx, actor: PetActor, petId: string, opts: { credit: boolean }): Promise<ChatActivity> {
    let xpGained = 0;
    const { view, row } = await this.mutateOn(trx, actor, petId, (p, now) => {
      if (p.row.user_id !== actor.user.id) throw petError('pet_not_found');
      if (opts.credit) xpGained = this.chatCredit(p, now);
    });
    return { pet: view, row, xpGained };
  }

  /** What a chat message does for its pet: streak credit, a little happiness and CHAT_XP under the daily cap. */
  private chatCredit(p: Pending, now: Date): number {
    const sick = conditionAt(p.row, now).feelings.includes('sick');
    set(p, { happiness: clamp(p.row.happiness + 1) });
    return this.credit(p, now, CHAT_XP, sick);
  }

  /** Where the pet stands against its next stage's requirements. */
  async evolution(actor: PetActor, petId: string) {
    const pet = await this.get(actor, petId);
    const row = await this.requirePet(this.deps.db, actor, petId);
    const now = this.clock.now();
    const next = nextStage(row.stage);
    const requirements: RequirementStatus[] = next ? requirementStatus(next, factsOf(row, conditionAt(row, now).stats, now)) : [];
    return {
      stage: pet.stage,
      level: pet.level,
      xp: pet.xp,
      next: next ? { stage: next.stage, automatic: next.automatic, ready: requirements.every((r) => r.met), requirements } : null,
    };
  }

  /** Evolves to the next stage by hand when every requirement is met (the only way to some stages); 409 pet_final_stage at the last stage. */
  async evolve(actor: PetActor, petId: string): Promise<{ pet: PetView; from: string; to: string }> {
    let from = '';
    let to = '';
    const pet = await this.mutate(actor, petId, (p, now) => {
      const next = nextStage(p.row.stage);
      if (!next) throw petError('pet_final_stage', { stage: p.row.stage });
      const unmet = requirementStatus(next, factsOf(p.row, conditionAt(p.row, now).stats, now)).filter((r) => !r.met);
      if (unmet.length) {
        throw petError(
          'pet_evolution_not_ready',
          { stage: next.stage },
          unmet.map((r) => ({ field: r.kind, message: `${r.current} of ${r.required}`, code: 'requirement_unmet' })),
        );
      }
      from = p.row.stage;
      to = next.stage;
      this.recordEvolution(p, next.stage, now, false);
    });
    return { pet, from, to };
  }

  /** The pet's timeline, newest first, a page at a time. */
  async history(actor: PetActor, petId: string, limit: number, cursor?: string) {
    const pet = await this.requirePet(this.deps.db, actor, petId);
    const position = decodeCursor(cursor);
    const before = position ? { at: new Date(position.k), id: position.id } : null;
    const rows = await petsRepo.history(this.deps.db, pet.id, limit + 1, before);
    const page = toPage(rows, limit, (r: PetHistoryRow) => ({ k: r.created_at.toISOString(), id: r.id }));
    return {
      items: page.items.map((r) => ({ id: r.id, kind: r.kind, data: r.data as Record<string, unknown>, createdAt: r.created_at.toISOString() })),
      hasMore: page.hasMore,
      nextCursor: page.nextCursor,
    };
  }

  /** Vacation: decay and streak loss pause until `until` (at most VACATION_MAX_DAYS, once per VACATION_COOLDOWN_DAYS). */
  async startVacation(actor: PetActor, petId: string, until: Date): Promise<PetView> {
    return this.mutate(actor, petId, (p, now) => {
      const tz = safeTimeZone(p.row.owner_timezone);
      if (onVacation(p.row, now)) throw petError('pet_vacation_active', localDate('until', p.row.vacation_until!, tz, true));
      // the field problem says which bound was missed: an end in the past is not "too far away"
      if (until.getTime() <= now.getTime()) {
        throw petError('pet_vacation_invalid', { maxDays: VACATION_MAX_DAYS }, [{ field: 'body.until', message: 'validation.in_future', code: 'out_of_range' }]);
      }
      if (until.getTime() - now.getTime() > VACATION_MAX_DAYS * DAY_MS) {
        throw petError('pet_vacation_invalid', { maxDays: VACATION_MAX_DAYS }, [{ field: 'body.until', message: 'validation.within_days', params: { days: VACATION_MAX_DAYS }, code: 'out_of_range' }]);
      }
      const last = p.row.vacation_start;
      if (last && now.getTime() - last.getTime() < VACATION_COOLDOWN_DAYS * DAY_MS) {
        throw petError('pet_vacation_too_soon', localDate('date', new Date(last.getTime() + VACATION_COOLDOWN_DAYS * DAY_MS), tz, false));
      }
      set(p, { vacation_start: now, vacation_until: until });
      p.history.push(historyRow(p.row.id, 'vacation', { from: now.toISOString(), until: until.toISOString() }, now));
      p.events.push({ type: 'pet.vacation_started', data: { until: until.toISOString() } });
    });
  }

  /** Ends a running vacation now (the days already taken still count as covered); 409 pet_vacation_not_active when none is running. */
  async endVacation(actor: PetActor, petId: string): Promise<PetView> {
    return this.mutate(actor, petId, (p, now) => {
      if (!onVacation(p.row, now)) throw petError('pet_vacation_not_active');
      set(p, { vacation_until: now });
      p.history.push(historyRow(p.row.id, 'vacation', { endedAt: now.toISOString() }, now));
      p.events.push({ type: 'pet.updated', data: { fields: ['vacation'] } });
    });
  }

  /**
   * The hourly sweep: records pet.streak_lost where a missed day broke a streak,
   * pet.streak_at_risk (once per local day) where the owner has STREAK_RISK_HOURS or fewer left,
   * and pet.needs_care where a pet has started needing care since its owner was last told (sweepCare).
   */
  async sweepStreaks(now = this.clock.now()): Promise<{ atRisk: number; lost: number; needsCare: number }> {
    let atRisk = 0;
    let lost = 0;
    let after: string | null = null;
    const system = SYSTEM_ACTOR;
    for (;;) {
      const rows: OwnedPetRow[] = await petsRepo.withStreak(this.deps.db, after, 500);
      if (!rows.length) break;
      after = rows[rows.length - 1].id;
      for (const row of rows) {
        const tz = safeTimeZone(row.owner_timezone);
        const state = streakAt(row, now, tz);
        const today = localDay(now, tz);
        if (state.broken) {
          await this.mutate(system, row.id, () => undefined, now, null);
          lost++;
        } else if (state.atRisk && state.hoursLeft <= STREAK_RISK_HOURS && row.streak_risk_day !== today) {
          const warned = await withTransaction(this.deps.db, async (trx) => {
            const locked = await petsRepo.find(trx, row.id, { lock: true });
            if (!locked || locked.streak_risk_day === today || !streakAt(locked, now, tz).atRisk) return false;
            await petsRepo.update(trx, row.id, { streak_risk_day: today });
            await this.deps.events.record(trx, {
              type: 'pet.streak_at_risk',
              actorId: null,
              userIds: [row.user_id],
              petId: row.id,
              data: { streak: locked.streak, hoursLeft: Math.max(0, Math.round(state.hoursLeft * 10) / 10), name: locked.name },
            });
            return true;
          });
          if (warned) atRisk++;
        }
      }
    }
    return { atRisk, lost, needsCare: await this.sweepCare(now) };
  }

  /**
   * Records pet.needs_care for every live pet that needs care now (careNeed: a stat below the level at
   * which it feels sick, sad or tired) and whose owner has not been told since it was last cared for;
   * the event and the pet's care_alerted_at commit together. Not while the pet is on vacation.
   */
  async sweepCare(now = this.clock.now()): Promise<number> {
    let told = 0;
    let after: string | null = null;
    for (;;) {
      const rows: OwnedPetRow[] = await petsRepo.careUnalerted(this.deps.db, after, 500);
      if (!rows.length) return told;
      after = rows[rows.length - 1].id;
      for (const row of rows) {
        if (onVacation(row, now) || !careNeed(conditionAt(row, now).stats)) continue;
        const settled = await withTransaction(this.deps.db, (trx) => this.mutateOn(trx, SYSTEM_ACTOR, row.id, () => undefined, now, null, { alertCare: true }));
        if (settled.row.care_alerted_at?.getTime() === now.getTime()) told++;
      }
    }
  }

  private needsSettling(row: OwnedPetRow, now: Date): boolean {
    const cond = conditionAt(row, now);
    if (cond.mood !== row.mood) return true;
    if (streakAt(row, now, safeTimeZone(row.owner_timezone)).broken) return true;
    return dueEvolutions(row.stage, factsOf(row, cond.stats, now)).length > 0;
  }

  /** Streak credit and XP for an activity now; returns the XP granted. */
  private credit(p: Pending, now: Date, xp: number, sick: boolean): number {
    const tz = safeTimeZone(p.row.owner_timezone);
    const streak = streakAfterActivity(p.row, now, tz);
    const grant = grantXp(p.row, xp, sick, now, tz);
    set(p, {
      streak: streak.streak,
      longest_streak: streak.longest,
      streak_day: streak.day,
      last_interaction_at: now,
      xp: p.row.xp + grant.gained,
      xp_day: grant.xpDay,
      xp_today: grant.xpToday,
    });
    return grant.gained;
  }

  private recordEvolution(p: Pending, to: Stage, now: Date, automatic: boolean): void {
    const from = p.row.stage;
    set(p, { stage: to });
    const lvl = level(p.row.xp);
    p.history.push(historyRow(p.row.id, 'evolution', { from, to, level: lvl, xp: p.row.xp, automatic }, now));
    p.events.push({ type: 'pet.evolved', data: { from, to, level: lvl, name: p.row.name } });
  }

  private async mutate(
    actor: PetActor,
    petId: string,
    change: (p: Pending, now: Date) => void,
    now = this.clock.now(),
    actorId: string | null = actor.user.id,
    opts: SettleOptions = {},
  ): Promise<PetView> {
    return withTransaction(this.deps.db, async (trx) => (await this.mutateOn(trx, actor, petId, change, now, actorId, opts)).view);
  }

  /**
   * Locks the pet, brings it up to `now` (decay materialized, a broken streak written down),
   * applies the change, then lets it evolve and notes a mood change; one UPDATE, history and events.
   */
  private async mutateOn(
    trx: Tx,
    actor: PetActor,
    petId: string,
    change: (p: Pending, now: Date) => void,
    now = this.clock.now(),
    actorId: string | null = actor.user.id,
    opts: SettleOptions = {},
  ): Promise<{ view: PetView; row: OwnedPetRow }> {
    const locked = await this.requirePet(trx, actor, petId, { lock: true });
    const p = this.settle(locked, change, now, opts);
    await petsRepo.update(trx, locked.id, p.patch);
    await this.writeSideEffects(trx, [{ p, actor, actorId }]);
    return { view: this.view(p.row, now), row: p.row };
  }

  /** The rules applied to a locked row in memory: catch-up to `now`, the change, evolutions, mood. No I/O. */
  private settle(locked: OwnedPetRow, change: (p: Pending, now: Date) => void, now: Date, opts: SettleOptions = {}): Pending {
    const p: Pending = { row: { ...locked }, moodBefore: locked.mood, patch: {}, history: [], events: [] };
    const tz = safeTimeZone(locked.owner_timezone);
    const cond = conditionAt(locked, now);
    set(p, { ...cond.stats, stats_at: now });
    const streak = streakAt(locked, now, tz);
    if (streak.broken) {
      set(p, { streak: 0 });
      p.history.push(historyRow(locked.id, 'streak_lost', { streak: locked.streak, lastDay: locked.streak_day }, now));
      p.events.push({ type: 'pet.streak_lost', data: { streak: locked.streak, name: locked.name } });
    }
    change(p, now);
    const after = conditionAt(p.row, now);
    for (const stage of dueEvolutions(p.row.stage, factsOf(p.row, after.stats, now))) this.recordEvolution(p, stage, now, true);
    if (after.mood !== p.moodBefore) {
      set(p, { mood: after.mood });
      p.history.push(historyRow(locked.id, 'mood', { from: p.moodBefore, to: after.mood }, now));
    }
    this.noteCare(p, careNeed(after.stats), now, opts);
    set(p, { updated_at: now });
    return p;
  }

  /**
   * Care alerts: once no stat is below its level the pet counts as cared for (care_alerted_at cleared,
   * so the next time it needs care is told again); the sweep (alertCare) records pet.needs_care once
   * when a pet needs care and its owner has not been told yet.
   */
  private noteCare(p: Pending, need: ReturnType<typeof careNeed>, now: Date, opts: SettleOptions): void {
    if (!need) {
      if (p.row.care_alerted_at) set(p, { care_alerted_at: null });
      return;
    }
    if (!opts.alertCare || p.row.care_alerted_at || onVacation(p.row, now)) return;
    set(p, { care_alerted_at: now });
    p.events.push({ type: 'pet.needs_care', data: { stat: need.stat, value: need.value, name: p.row.name } });
  }

  /** History rows in one insert, then each change's events (written with the transaction's other outbox rows). */
  private async writeSideEffects(trx: Tx, changes: Array<{ p: Pending; actor: PetActor; actorId: string | null }>): Promise<void> {
    await petsRepo.addHistory(trx, changes.flatMap((c) => c.p.history));
    for (const { p, actor, actorId } of changes) {
      for (const e of p.events) {
        await this.deps.events.record(trx, { type: e.type, data: e.data, actorId, userIds: [p.row.user_id], petId: p.row.id, context: actor } as never);
      }
    }
  }

  /**
   * chatActivity for many chat messages at once (the chat service's batched exchanges), on one
   * transaction: the pets are locked in id order with one query, each message is applied in order
   * (two messages to one pet build on each other), and every changed pet is written with one UPDATE.
   * A message to a pet its sender does not own answers pet_not_found for that message alone.
   */
  async chatActivityMany(trx: Tx, items: Array<{ actor: PetActor; petId: string }>): Promise<Array<ChatActivity | { error: Error }>> {
    const now = this.clock.now();
    const locked = new Map((await petsRepo.findMany(trx, [...new Set(items.map((i) => i.petId))], { lock: true })).map((r) => [r.id, r]));
    const current = new Map<string, OwnedPetRow>();
    const columns = new Set<string>();
    const changes: Array<{ p: Pending; actor: PetActor; actorId: string | null }> = [];
    const results = items.map((item): ChatActivity | { error: Error } => {
      const row = current.get(item.petId) ?? locked.get(item.petId);
      if (!row || row.user_id !== item.actor.user.id) return { error: petError('pet_not_found') };
      let xpGained = 0;
      const p = this.settle(row, (q, at) => (xpGained = this.chatCredit(q, at)), now);
      for (const key of Object.keys(p.patch)) columns.add(key);
      current.set(row.id, p.row);
      changes.push({ p, actor: item.actor, actorId: item.actor.user.id });
      return { pet: this.view(p.row, now), row: p.row, xpGained };
    });
    await petsRepo.updateMany(trx, [...current.values()], [...columns] as Array<keyof PetsTable>);
    await this.writeSideEffects(trx, changes);
    return results;
  }
}

/**
 * An instant as an error parameter told in the reader's language (i18next's datetime formatter, `{{name, datetime}}`
 * in the catalogs) and in the owner's time zone: a day, or a day and a time.
 */
function localDate(name: string, at: Date, timeZone: string, withTime: boolean): Record<string, unknown> {
  return { [name]: at, formatParams: { [name]: { timeZone, dateStyle: 'long', ...(withTime ? { timeStyle: 'short' } : {}) } } };
}

function set(p: Pending, patch: Updateable<PetsTable>): void {
  Object.assign(p.patch, patch);
  Object.assign(p.row, patch);
}

function historyRow(petId: string, kind: PetHistoryTable['kind'], data: Record<string, unknown>, at: Date): Insertable<PetHistoryTable> {
  return { id: uuidv7(), pet_id: petId, kind, data: JSON.stringify(data), created_at: at };
}

function randomTraits(n: number): Trait[] {
  const pool = [...TRAITS];
  const out: Trait[] = [];
  while (out.length < n) out.push(pool.splice(randomInt(pool.length), 1)[0]);
  return out;
}
