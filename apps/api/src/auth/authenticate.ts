/**
 * Who sent a request: an `Authorization: Bearer` API key, or else the session cookie. Credentials that
 * are sent but wrong (malformed, revoked, expired, of a deleted user) are reported, not ignored, so
 * the caller hears why instead of acting anonymously.
 */
import type { Db } from '@darkroom/db';
import type { FastifyRequest } from 'fastify';
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

const anonymous = (error: string | null = null): Authentication => ({ user: null, error, sessionId: null });

export async function authenticateRequest(db: Db, request: FastifyRequest): Promise<Authentication> {
  const authorization = request.headers.authorization;
  if (authorization !== undefined) return authenticateApiKey(db, authorization);
  const token = request.cookies?.[SESSION_COOKIE];
  if (token) return authenticateSession(db, token);
  return anonymous();
}

async function authenticateApiKey(db: Db, authorization: string): Promise<Authentication> {
  const match = /^Bearer\s+(\S+)$/i.exec(authorization.trim());
  const prefix = match ? apiKeyPrefix(match[1]!) : null;
  if (!match || !prefix) return anonymous('the Authorization header must be "Bearer dk_..." with a Darkroom API key');
  const key = await db.apiKey.findUnique({ where: { prefix }, include: { user: { select: { id: true, email: true, role: true } } } });
  if (!key || !hashMatches(match[1]!, key.hash) || key.revokedAt) return anonymous('this API key is not valid (revoked, or never issued)');
  if (!key.lastUsedAt || Date.now() - key.lastUsedAt.getTime() > LAST_USED_GRANULARITY_MS) {
    await db.apiKey.update({ where: { id: key.id }, data: { lastUsedAt: new Date() } });
  }
  return { user: key.user, error: null, sessionId: null };
}

async function authenticateSession(db: Db, token: string): Promise<Authentication> {
  const id = sha256(token);
  const session = await db.session.findUnique({ where: { id }, include: { user: { select: { id: true, email: true, role: true } } } });
  if (!session || session.expiresAt <= new Date()) return anonymous('your session has expired; sign in again');
  if (Date.now() - session.lastSeenAt.getTime() > LAST_SEEN_GRANULARITY_MS) {
    await db.session.update({ where: { id }, data: { lastSeenAt: new Date() } });
  }
  return { user: session.user, error: null, sessionId: id };
}
