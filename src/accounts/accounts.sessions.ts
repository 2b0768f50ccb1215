import { uuidv7 } from 'uuidv7';
import type { Executor } from '../platform/db/db.transaction.js';
import type { AccessTokens } from '../platform/http/http.auth.js';
import type { ActorContext } from '../platform/http/http.context.js';
import type { Role } from '../platform/http/http.types.js';
import { randomToken, sha256 } from './accounts.crypto.js';
import { accountsRepo, type SessionRow } from './accounts.repo.js';

export interface IssuedTokens {
  accessToken: string;
  refreshToken: string;
  tokenType: 'Bearer';
  expiresIn: number;
}

/** Opens a session row (a new family, or the next row of a rotating family) and signs its tokens. */
export async function issueSession(
  trx: Executor,
  tokens: AccessTokens,
  refreshTtlDays: number,
  user: { id: string; role: Role },
  ctx: ActorContext,
  family?: Pick<SessionRow, 'family_id' | 'created_at'>,
): Promise<{ session: SessionRow; tokens: IssuedTokens }> {
  const refreshToken = randomToken();
  const session = await accountsRepo.insertSession(trx, {
    id: uuidv7(),
    user_id: user.id,
    refresh_token_hash: sha256(refreshToken),
    family_id: family?.family_id ?? uuidv7(),
    ip: ctx.ip,
    user_agent: ctx.userAgent,
    ...(family ? { created_at: family.created_at } : {}),
    expires_at: new Date(Date.now() + refreshTtlDays * 86_400_000),
    revoked_at: null,
  });
  const accessToken = await tokens.sign({ id: user.id, role: user.role, sessionId: session.id });
  return { session, tokens: { accessToken, refreshToken, tokenType: 'Bearer', expiresIn: tokens.ttlSeconds } };
}
