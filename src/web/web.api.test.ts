import { describe, expect, it } from 'vitest';
import { secondsLeft } from '../../web/src/api.js';

const b64url = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
const token = (payload: object) => `${b64url({ alg: 'HS256', typ: 'JWT' })}.${b64url(payload)}.sig`;

describe('timing the refresh before an access token expires', () => {
  it("reads the seconds left from the token's exp", () => {
    const now = Date.UTC(2026, 10, 25, 12, 0, 0);
    expect(secondsLeft(token({ sub: 'u', exp: now / 1000 + 900 }), now)).toBe(900);
    expect(secondsLeft(token({ sub: 'u', exp: now / 1000 - 5 }), now)).toBe(-5);
  });

  it('reads base64url payloads (with - and _) and answers null for a token it cannot read', () => {
    // a name that encodes to base64url's own characters
    const t = token({ sub: 'u', name: '>>>???', exp: 2_000_000_000 });
    expect(t.split('.')[1]).toMatch(/[-_]/);
    expect(secondsLeft(t, 1_000_000_000_000)).toBe(1_000_000_000);
    expect(secondsLeft('garbage')).toBeNull();
    expect(secondsLeft(token({ sub: 'u' }))).toBeNull();
  });
});
