/**
 * A real API for one test file: a fresh migrated database, filesystem storage in a temp dir, real
 * accounts (an admin, then the owner most tests act as), tRPC callers, and (on demand) the Fastify
 * server and an in-process worker. `close()` ends them all; a test file that forgets it fails.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { makeOutboundGuard } from '@darkroom/core/outbound';
import { DEFAULT_PRICES, MAX_REFERENCE_BYTES, NO_PROMPT_FILTER } from '@darkroom/core';
import { trackResource } from '@darkroom/core/tracked-resources';
import { createTestDatabase } from '@darkroom/db/testing';
import { createFilesystemStorage } from '@darkroom/storage';
import { loadWorkerConfig, startWorker, type RunningWorker } from '@darkroom/worker';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { createApiKey } from '../src/auth/api-keys.js';
import { signUp } from '../src/auth/service.js';
import type { AuthUser } from '../src/context.js';
import type { AccountSettings } from '../src/env.js';
import { makeInProcessCallers } from '../src/in-process.js';
import { buildServer, type ServerOptions } from '../src/server.js';

export const TEST_PASSWORD = 'correct horse battery staple';

/** Generous limits and credits, so only the tests about them meet them. */
export function testSettings(overrides: Partial<AccountSettings> = {}): AccountSettings {
  return {
    startingCredits: 1_000_000,
    prices: DEFAULT_PRICES,
    enabledProviders: ['local', 'mock'],
    adminEmail: null,
    sessionTtlMs: 3600_000,
    cookieSecure: false,
    trustedOrigins: [],
    allowedHosts: ['localhost', '127.0.0.1', '::1'],
    submitsPerMinute: 1_000_000,
    maxActiveJobsPerUser: 1_000_000,
    loginAttemptsPerAccount: 1_000,
    loginAttemptsPerIp: 1_000_000,
    signUpsPerIpPerHour: 1_000_000,
    trpcMaxBatchSize: 10,
    // Every priority, so queue-order tests can use them as any account; limits.test.ts covers the default.
    allowedPriorities: ['low', 'normal', 'high', 'urgent'],
    promptFilter: NO_PROMPT_FILTER,
    streamRecheckMs: 60_000,
    signedLinksEmbeddable: false,
    maxStreamsPerUser: 1000,
    maxStreamsPerProcess: 10_000,
    fundedSignUpsPerIpPerDay: 1_000_000,
    signUpMode: 'open',
    references: { maxPerUser: 1000, maxBytes: MAX_REFERENCE_BYTES, maxPixels: 40_000_000, uploadsPerMinute: 1_000_000 },
    warnQueueLength: 100,
    workerDeadAfterSeconds: 30,
    // Every read fresh, so a test sees its own writes; queue-status.test.ts covers the reuse.
    queueStatusMaxAgeMs: 0,
    outbound: makeOutboundGuard(),
    ...overrides,
  };
}

export async function makeHarness({
  settings: overrides = {},
  server: serverOverrides = {},
}: {
  settings?: Partial<AccountSettings>;
  /** Server options to change from the test defaults (e.g. a short OpenAI-compatible wait). */
  server?: Partial<Pick<ServerOptions, 'openAiWaitSeconds'>>;
} = {}) {
  const settings = testSettings(overrides);
  const database = await createTestDatabase();
  const storageDir = mkdtempSync(path.join(os.tmpdir(), 'darkroom-test-images-'));
  const storage = createFilesystemStorage({ root: storageDir });
  const callers = await makeInProcessCallers({ db: database.db, storage, databaseUrl: database.url, settings });
  const callerFor = (someone: AuthUser | null) => callers.callerFor(someone);
  const workers: RunningWorker[] = [];
  let server: FastifyInstance | undefined;

  /** A real account (argon2id password, starting credits) with an API key for HTTP calls. */
  async function makeUser(email: string) {
    const account = await signUp({ db: database.db, settings, input: { email, password: TEST_PASSWORD } });
    const someone: AuthUser = { id: account.id, email: account.email, role: account.role };
    const { key } = await createApiKey({ db: database.db, user: someone, name: 'tests' });
    return { user: someone, caller: callerFor(someone), apiKey: key, headers: { authorization: `Bearer ${key}` } };
  }

  // The first account is the admin; most tests act as the second, an ordinary user.
  const admin = await makeUser('admin@darkroom.test');
  const owner = await makeUser('owner@darkroom.test');

  async function getServer() {
    server ??= await buildServer({
      db: database.db,
      databaseUrl: database.url,
      storage,
      settings,
      webDistDir: path.join(storageDir, 'no-web-app'),
      logLevel: 'silent',
      ...serverOverrides,
    });
    return server;
  }

  return {
    ...database,
    settings,
    callerFor,
    makeUser,
    storage,
    storageDir,
    admin,
    user: owner.user,
    caller: owner.caller,
    /** `Authorization` for the owner, for HTTP calls. */
    headers: owner.headers,
    apiKey: owner.apiKey,
    /** The HTTP server (not listening; use `inject`). */
    server: getServer,
    /** An HTTP request to the server as the owner (unless `headers` say otherwise). */
    async inject(options: InjectOptions): Promise<LightMyRequestResponse> {
      return (await getServer()).inject({ ...options, headers: { ...owner.headers, ...options.headers } });
    },
    /** A worker in this process, on this database and storage. */
    async startWorker(overrides: Record<string, string> = {}) {
      const worker = await startWorker(
        loadWorkerConfig({
          DATABASE_URL: database.url,
          STORAGE_DIR: storageDir,
          POLL_INTERVAL_MS: '200',
          LOG_LEVEL: 'silent',
          ...overrides,
        }),
      );
      workers.push(worker);
      return worker;
    },
    // Tracked: a test file that never closes its harness fails (vitest.leak-check.ts).
    close: trackResource(`API harness on ${database.name} (its server, workers and in-process callers)`, async () => {
      await Promise.all(workers.map((worker) => worker.stop()));
      await server?.close();
      await callers.close();
      await database.drop();
      rmSync(storageDir, { recursive: true, force: true });
    }),
  };
}

export type Harness = Awaited<ReturnType<typeof makeHarness>>;

/** Polls `check` until it returns a value, or fails after `timeoutMs`. */
export async function eventually<T>(
  check: () => Promise<T | undefined | null | false>,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
