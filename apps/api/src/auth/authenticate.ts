/**
 * Who sent a request: an `Authorization: Bearer` API key, or else the session cookie. Credentials that
 * are sent but wrong (malformed, revoked, expired, of a deleted user) are reported, not ignored, so
 * the caller hears why instead of acting anonymously.
 */
import type { Db, JobChangeFeed } from '@darkroom/db';
import type { FastifyRequest } from 'fastify';
import { LRUCache } from 'lru-cache';
import type { AuthUser } from '../context.js';
import { apiKeyPrefix, hashMatches, SESSION_COOKIE, sha256 } from './tokens.js';

export interface Authentication {
  user: AuthUser | null;
  /** Why sent credentials were refused; null when none were sent or they were good. */
  error: string | null;
  sessionId: string | null;
}

/** A key's last use is written at most this often, so busy keys do not write on every request. */
const LAST_USED_GRANULARITY_MS = 60_000;
/** A session's last activity likewise. */
const LAST_SEEN_GRANULARITY_MS = 5 * 60_000;

/**
 * How long an API key's row (its hash, revocation and user) is reused without reading it again, by
 * default. Postgres announces every revocation and user change (`darkroom_credentials`), which empties
 * the cache at once; this bounds how long a missed announcement could keep a revoked key working.
 */
export const API_KEY_CACHE_TTL_MS = 10_000;
/** Keys held per process; the least recently used go first. */
const API_KEY_CACHE_MAX = 10_000;

interface ActiveKey {
  id: string;
  hash: string;
  user: AuthUser;
  /** When this process last saw `last_used_at` written, in ms; 0 when never. */
  lastUsedAt: number;
}

/** Reads who sent a request; built once per process (see makeAuthenticator). */
export type Authenticator = (request: FastifyRequest) => Promise<Authentication>;

const anonymous = (error: string | null = null): Authentication => ({ user: null, error, sessionId: null });

/** What every authenticator of this process does when a credential changes. */
const forgetters = new Set<() => void>();

/**
 * Drops this process's cached API keys at once, for a change made here (a revocation), so the caller's
 * next request is refused without waiting for Postgres's announcement to come back around.
 */
export function forgetCachedApiKeys(): void {
  for (const forget of forgetters) forget();
}

/**
 * The request authenticator of one API process. API keys are checked against a short-lived cache of
 * their rows, because a program polling with a key would otherwise pay for reading the key on every
 * request. The cache is emptied whenever `changes` announces a credential change (on any API process)
 * or reconnects, and is not used while its LISTEN connection is down.
 */
export function makeAuthenticator({
  db,
  changes,
  ttlMs = API_KEY_CACHE_TTL_MS,
}: {
  db: Db;
  changes: Pick<JobChangeFeed, 'onCredentialChange' | 'connected'>;
  ttlMs?: number;
}): {
  authenticate: Authenticator;
  close(): void;
} {
  const keys = new LRUCache<string, ActiveKey>({ max: API_KEY_CACHE_MAX, ttl: ttlMs });
  // Bumped on every change, so a read that raced with a revocation does not put its stale row back.
  let generation = 0;
  const forget = () => {
    generation++;
    keys.clear();
  };
  const stopListening = changes.onCredentialChange(forget);
  forgetters.add(forget);

  const activeKey = async (prefix: string): Promise<ActiveKey | null> => {
    const cached = keys.get(prefix);
    if (cached && changes.connected) return cached;
    const readAt = generation;
    const key = await readActiveKey(db, prefix);
    if (key && changes.connected && readAt === generation) keys.set(prefix, key);
    return key;
  };

  const authenticateApiKey = async (authorization: string): Promise<Authentication> => {
    const match = /^Bearer\s+(\S+)$/i.exec(authorization.trim());
    const prefix = match ? apiKeyPrefix(match[1]!) : null;
    if (!match || !prefix) return anonymous('the Authorization header must be "Bearer dk_..." with a Darkroom API key');
    const key = await activeKey(prefix);
    if (!key || !hashMatches(match[1]!, key.hash))
      return anonymous('this API key is not valid (revoked, or never issued)');
    if (Date.now() - key.lastUsedAt > LAST_USED_GRANULARITY_MS) {
      key.lastUsedAt = Date.now();
      await db.apiKey.update({ where: { id: key.id }, data: { lastUsedAt: new Date(key.lastUsedAt) } });
    }
    return { user: key.user, error: null, sessionId: null };
  };

  return {
    async authenticate(request) {
      const authorization = request.headers.authorization;
      if (authorization !== undefined) return authenticateApiKey(authorization);
      const token = request.cookies?.[SESSION_COOKIE];
      if (token) return authenticateSession(db, token);
      return anonymous();
    },
    close() {
      stopListening();
      forgetters.delete(forget);
    },
  };
}

/** An unrevoked key and its user, in one statement (Prisma would read the user with a second query). */
async function readActiveKey(db: Db, prefix: string): Promise<ActiveKey | null> {
  const [row] = await db.$queryRaw<
    { id: string; hash: string; last_used_at: Date | null; user_id: string; email: string; role: AuthUser['role'] }[]
  >`
    select k.id::text, k.hash, k.last_used_at, u.id::text as user_id, u.email, u.role::text
    from api_keys k join users u on u.id = k.user_id
    where k.prefix = ${prefix} and k.revoked_at is null`;
  if (!row) return null;
  return {
    id: row.id,
    hash: row.hash,
    user: { id: row.user_id, email: row.email, role: row.role },
    lastUsedAt: row.last_used_at?.getTime() ?? 0,
  };
}

async function authenticateSession(db: Db, token: string): Promise<Authentication> {
  const id = sha256(token);
  const session = await db.session.findUnique({
    where: { id },
    include: { user: { select: { id: true, email: true, role: true } } },
  });
  if (!session || session.expiresAt <= new Date()) return anonymous('your session has expired; sign in again');
  if (Date.now() - session.lastSeenAt.getTime() > LAST_SEEN_GRANULARITY_MS) {
    await db.session.update({ where: { id }, data: { lastSeenAt: new Date() } });
  }
  return { user: session.user, error: null, sessionId: id };
}
