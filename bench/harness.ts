import type { AppDeps } from '../src/platform/deps.js';

/** One figure in the bench table. */
export interface BenchRow {
  scenario: string;
  metric: string;
  value: number;
  unit: string;
  /** The machine's ceiling measured in the same run, and value/ceiling. */
  ceiling?: { name: string; value: number };
  ratio?: number;
  /** The target from the issue, in words ("≥ 1000/s", "p99 < 50 ms"), and whether it was met. */
  target?: string;
  met?: boolean;
  notes?: string;
}

export interface Ceilings {
  /** Requests/s of a bare Fastify route on this machine. */
  httpRps: number;
  /** Single-row INSERTs/s of a raw pg loop on this machine. */
  dbInsertsPerSec: number;
}

/** What a scenario gets: a running StreakPets server (all roles) and its dependencies for seeding. */
export interface BenchHarness {
  baseUrl: string;
  deps: AppDeps;
  ceilings: Ceilings;
  /** A signed-in user (real user row and session) for authenticated load. */
  createUser(): Promise<{ id: string; token: string; auth: { authorization: string } }>;
}

/** A scenario file in bench/scenarios exports default: (h) => rows. Keep each under ~60 s. */
export type BenchScenario = (h: BenchHarness) => Promise<BenchRow[]>;
