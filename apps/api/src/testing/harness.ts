/**
 * A real API for one test file: a fresh migrated database, filesystem storage in a temp dir, the
 * local user, a tRPC caller, and (on demand) the Fastify server and an in-process worker.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { listenForJobChanges } from '@darkroom/db';
import { createTestDatabase } from '@darkroom/db/testing';
import { createFilesystemStorage } from '@darkroom/storage';
import { loadWorkerConfig, startWorker, type RunningWorker } from '@darkroom/worker';
import type { FastifyInstance } from 'fastify';
import { buildServer } from '../server.js';
import { appRouter } from '../router.js';
import { createCallerFactory } from '../trpc.js';
import { ensureLocalUser } from '../users.js';
import type { AuthUser } from '../context.js';

export async function makeHarness() {
  const database = await createTestDatabase();
  const storageDir = mkdtempSync(path.join(os.tmpdir(), 'darkroom-test-images-'));
  const storage = createFilesystemStorage({ root: storageDir });
  const user = await ensureLocalUser(database.db);
  const jobChanges = await listenForJobChanges({ databaseUrl: database.url });
  const settings = { warnQueueLength: 100, workerDeadAfterSeconds: 30 };
  const caller = createCallerFactory(appRouter)({ db: database.db, storage, jobChanges, settings, user });
  const workers: RunningWorker[] = [];
  let server: FastifyInstance | undefined;

  const callerFor = (someone: AuthUser) => createCallerFactory(appRouter)({ db: database.db, storage, jobChanges, settings, user: someone });
  return {
    ...database,
    callerFor,
    /** Another user (accounts arrive later; rows are enough for ownership). */
    async makeUser(email: string) {
      const row = await database.db.user.create({ data: { email } });
      const someone: AuthUser = { id: row.id, email: row.email, role: row.role };
      return { user: someone, caller: callerFor(someone) };
    },
    storage,
    storageDir,
    user,
    caller,
    /** The HTTP server (not listening; use `inject`). */
    async server() {
      server ??= await buildServer({
        db: database.db,
        databaseUrl: database.url,
        storage,
        authenticate: async () => user,
        webDistDir: path.join(storageDir, 'no-web-app'),
        logLevel: 'silent',
      });
      return server;
    },
    /** A worker in this process, on this database and storage. */
    async startWorker(overrides: Record<string, string> = {}) {
      const worker = await startWorker(
        loadWorkerConfig({ DATABASE_URL: database.url, STORAGE_DIR: storageDir, POLL_INTERVAL_MS: '200', LOG_LEVEL: 'silent', ...overrides }),
      );
      workers.push(worker);
      return worker;
    },
    async close() {
      await Promise.all(workers.map((worker) => worker.stop()));
      await server?.close();
      await jobChanges.close();
      await database.drop();
      rmSync(storageDir, { recursive: true, force: true });
    },
  };
}

export type Harness = Awaited<ReturnType<typeof makeHarness>>;

/** Polls `check` until it returns a value, or fails after `timeoutMs`. */
export async function eventually<T>(check: () => Promise<T | undefined | null | false>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
