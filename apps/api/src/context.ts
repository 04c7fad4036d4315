import type { Db, JobChangeFeed } from '@darkroom/db';
import type { FastifyBaseLogger } from 'fastify';
import type { ImageStorage } from '@darkroom/storage';
import type { AccountSettings } from './env.js';
import type { StreamSlots } from './jobs/stream-slots.js';
import type { RateLimits } from './rate-limits.js';

/** Who is calling: the account behind a session cookie or an API key. */
export interface AuthUser {
  id: string;
  email: string;
  role: 'user' | 'admin';
}

/** Writes and clears the session cookie of the response (a no-op recorder in createCaller tests). */
export interface SessionCookie {
  set(token: string, expiresAt: Date): void;
  clear(): void;
}

/** What every procedure and route may use; built once per request. */
export interface Context {
  db: Db;
  storage: ImageStorage;
  /** The request's logger: every line carries its request id and, once known, the caller's user id. */
  log: FastifyBaseLogger;
  /** Job changes announced by Postgres, for live subscriptions. */
  jobChanges: JobChangeFeed;
  /** Aborts when the server starts closing: live streams end on it rather than hold the shutdown. */
  closing: AbortSignal;
  /** Slots for live streams and waiting requests, per user and per process. */
  streams: StreamSlots;
  /**
   * Whether the request's credentials still stand (a key not revoked, a session not ended, the same
   * user), for live streams that outlast the check made when they opened.
   */
  stillAuthenticated: () => Promise<boolean>;
  settings: AccountSettings;
  limits: RateLimits;
  user: AuthUser | null;
  /** Why credentials that were sent were refused (bad key, expired session); null when none were sent. */
  authError: string | null;
  /** The session the request was signed in with (its id), so log out can end it. */
  sessionId: string | null;
  /** The caller's address and browser, for sessions and log-in throttling. */
  client: { ip: string; userAgent: string | null };
  cookie: SessionCookie;
}

/** What the routes outside tRPC (REST, OpenAI-compatible) share with procedures: everything but the request. */
export type Services = Pick<Context, 'db' | 'storage' | 'jobChanges' | 'closing' | 'streams' | 'settings' | 'limits'>;
