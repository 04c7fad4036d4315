/**
 * Procedures called in-process (tests, benchmarks, scripts) with the same context the HTTP server
 * builds, minus the transport: the session cookie is recorded instead of sent.
 */
import { listenForJobChanges, type Db } from '@darkroom/db';
import type { ImageStorage } from '@darkroom/storage';
import pg from 'pg';
import { pino } from 'pino';
import type { AuthUser, Context } from './context.js';
import type { AccountSettings } from './env.js';
import { makeStreamSlots } from './jobs/stream-slots.js';
import { makeRateLimits } from './rate-limits.js';
import { appRouter } from './router.js';
import { createCallerFactory } from './trpc.js';

const createCaller = createCallerFactory(appRouter);

export interface InProcessCallers {
  /** A caller acting as `user` (or anonymous), from 127.0.0.1. */
  callerFor(
    user: AuthUser | null,
    options?: { sessionId?: string; ip?: string },
  ): ReturnType<typeof createCaller> & { cookie: { token: string | null } };
  /** Closes the rate limiter's pool and the job change feed. */
  close(): Promise<void>;
}

export async function makeInProcessCallers({
  db,
  storage,
  databaseUrl,
  settings,
}: {
  db: Db;
  storage: ImageStorage;
  databaseUrl: string;
  settings: AccountSettings;
}): Promise<InProcessCallers> {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 3 });
  // An idle client the server disconnects (a restart, a dropped test database) must not crash the process.
  pool.on('error', () => {});
  const jobChanges = await listenForJobChanges({ databaseUrl });
  const silent = pino({ level: 'silent' });
  const limits = makeRateLimits(pool, settings);
  const closing = new AbortController();
  const streams = makeStreamSlots({ perUser: settings.maxStreamsPerUser, perProcess: settings.maxStreamsPerProcess });
  return {
    callerFor(user, { sessionId, ip = '127.0.0.1' } = {}) {
      const jar = { token: null as string | null };
      const context: Context = {
        log: silent,
        db,
        storage,
        jobChanges,
        closing: closing.signal,
        streams,
        stillAuthenticated: async () => true,
        settings,
        limits,
        user,
        authError: null,
        sessionId: sessionId ?? null,
        client: { ip, userAgent: 'in-process' },
        cookie: { set: (token) => void (jar.token = token), clear: () => void (jar.token = null) },
      };
      return Object.assign(createCaller(context), { cookie: jar });
    },
    close: async () => {
      closing.abort();
      await jobChanges.close();
      await pool.end();
    },
  };
}
