import type { FastifyInstance } from 'fastify';
import { expect } from 'vitest';

export interface AccessProbe {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  url: string;
  payload?: unknown;
  /** Statuses that count as "denied" for this probe (default 403 and 404). */
  deniedWith?: number[];
}

export interface CrossUserCheck {
  app: FastifyInstance;
  /** The attacker's headers (user A's Authorization). */
  as: Record<string, string>;
  /** Requests aimed at user B's resources. */
  probes: AccessProbe[];
  /** Reads B's resources (through B's token or the database); must be equal before and after the probes. */
  snapshot: () => Promise<unknown>;
  /** Strings of B's that must never appear in a response to A (ids, emails, names…), unless A sent them in that probe. */
  mustNotLeak?: string[];
}

/**
 * Asserts that user A cannot read or change user B's resources: every probe made with A's token
 * is denied (403/404 by default), no response mentions B's private values, and B's state is unchanged.
 * Later domains call it with probes built from the resources a factory made for B.
 */
export async function expectNoCrossUserAccess(check: CrossUserCheck): Promise<void> {
  const before = JSON.stringify(await check.snapshot());
  for (const probe of check.probes) {
    const res = await check.app.inject({
      method: probe.method,
      url: probe.url,
      headers: check.as,
      ...(probe.payload !== undefined ? { payload: probe.payload as object } : {}),
    });
    const label = `${probe.method} ${probe.url} → ${res.statusCode}`;
    expect(probe.deniedWith ?? [403, 404], label).toContain(res.statusCode);
    const sent = `${probe.url} ${JSON.stringify(probe.payload ?? null)}`;
    for (const secret of check.mustNotLeak ?? []) {
      if (!sent.includes(secret)) expect(res.body, `${label} leaks ${secret}`).not.toContain(secret);
    }
  }
  expect(JSON.stringify(await check.snapshot()), 'the victim\'s resources changed').toBe(before);
}
