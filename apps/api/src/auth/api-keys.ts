/**
 * API keys for programs: created with a name, shown once, listed by prefix, revoked for good.
 */
import { DomainError, type ApiKeyCreated, type ApiKeyView } from '@darkroom/core';
import type { Db } from '@darkroom/db';
import type { AuthUser } from '../context.js';
import { forgetCachedApiKeys } from './authenticate.js';
import { newApiKey } from './tokens.js';

/** Active keys one user may hold, so a script in a loop cannot fill the table. */
export const MAX_API_KEYS_PER_USER = 50;

type Row = { id: string; name: string; prefix: string; createdAt: Date; lastUsedAt: Date | null };
const select = { id: true, name: true, prefix: true, createdAt: true, lastUsedAt: true } as const;

function toApiKeyView(key: Row): ApiKeyView {
  return {
    id: key.id,
    name: key.name,
    prefix: key.prefix,
    createdAt: key.createdAt.toISOString(),
    lastUsedAt: key.lastUsedAt?.toISOString() ?? null,
  };
}

export async function createApiKey({
  db,
  user,
  name,
}: {
  db: Db;
  user: AuthUser;
  name: string;
}): Promise<ApiKeyCreated> {
  const active = await db.apiKey.count({ where: { userId: user.id, revokedAt: null } });
  if (active >= MAX_API_KEYS_PER_USER) {
    throw new DomainError(
      'INVALID_STATE',
      `an account may hold ${MAX_API_KEYS_PER_USER} active keys; revoke one first`,
      { maximum: MAX_API_KEYS_PER_USER },
    );
  }
  const { key, prefix, hash } = newApiKey();
  const row = await db.apiKey.create({ data: { userId: user.id, name, prefix, hash }, select });
  return { key, apiKey: toApiKeyView(row) };
}

/** The caller's active keys, newest first; never the secret. */
export async function listApiKeys({ db, user }: { db: Db; user: AuthUser }): Promise<ApiKeyView[]> {
  const keys = await db.apiKey.findMany({
    where: { userId: user.id, revokedAt: null },
    orderBy: { createdAt: 'desc' },
    select,
  });
  return keys.map(toApiKeyView);
}

export async function revokeApiKey({ db, user, id }: { db: Db; user: AuthUser; id: string }): Promise<{ id: string }> {
  const revoked = await db.apiKey.updateMany({
    where: { id, userId: user.id, revokedAt: null },
    data: { revokedAt: new Date() },
  });
  if (revoked.count === 0) throw new DomainError('NOT_FOUND', `API key ${id} not found`);
  // Other API processes hear of it from Postgres (see authenticate.ts).
  forgetCachedApiKeys();
  return { id };
}
