import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { makeDb, migrateDatabase, startEmbeddedPostgres, type Db, type EmbeddedPostgres } from '@darkroom/db';
import { createFilesystemStorage } from '@darkroom/storage';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from './server.js';
import { eventually, TEST_PASSWORD, testSettings } from '../test/harness.js';

// A Postgres of this file's own, so it can be stopped and started again under a running API.
const dir = mkdtempSync(path.join(os.tmpdir(), 'darkroom-db-down-'));
let postgres: EmbeddedPostgres;
let db: Db;
let server: FastifyInstance;
let headers: Record<string, string>;
beforeAll(async () => {
  postgres = await startEmbeddedPostgres({ dataDir: path.join(dir, 'pg'), ephemeral: true });
  await migrateDatabase(postgres.url);
  db = makeDb({ url: postgres.url });
  server = await buildServer({
    db,
    databaseUrl: postgres.url,
    storage: createFilesystemStorage({ root: path.join(dir, 'images') }),
    settings: testSettings(),
    webDistDir: path.join(dir, 'none'),
    logLevel: 'silent',
  });
  const signUp = await call('POST', '/trpc/auth.signUp', { email: 'down@example.com', password: TEST_PASSWORD });
  const cookie = String(signUp.headers['set-cookie']).split(';')[0]!;
  const key = await call('POST', '/trpc/apiKeys.create', { name: 'down' }, { cookie });
  headers = { authorization: `Bearer ${key.json().result.data.key}` };
}, 120_000);
afterAll(async () => {
  await server?.close();
  await db?.$disconnect();
  await postgres?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function call(method: 'GET' | 'POST', url: string, body?: unknown, extra: Record<string, string> = {}) {
  return server.inject({
    method,
    url,
    headers: { ...headers, ...extra, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { payload: JSON.stringify(body) } : {}),
  });
}

const list = () => call('GET', `/trpc/jobs.list?input=${encodeURIComponent(JSON.stringify({}))}`);

describe('while Postgres is down', () => {
  it('answers 503 with Retry-After, never 500, and recovers by itself when Postgres is back', async () => {
    expect((await list()).statusCode).toBe(200);
    await postgres.stop();

    const answers = [
      await list(),
      await call('POST', '/trpc/jobs.create', { prompt: 'submitted during the outage' }),
      await call('GET', '/images/00000000-0000-7000-8000-000000000000'),
      await call('GET', '/readyz'),
    ];

    for (const answer of answers) {
      expect([answer.statusCode, answer.headers['retry-after']]).toEqual([503, '5']);
    }
    expect(answers[1]!.json().error).toMatchObject({ data: { code: 'SERVICE_UNAVAILABLE' } });
    // Readiness says what, not why: the driver's message names the host, the port and the user.
    expect(answers[3]!.json()).toEqual({ status: 'database unavailable' });

    postgres = await startEmbeddedPostgres({ dataDir: path.join(dir, 'pg'), port: postgres.port, ephemeral: true });
    await eventually(async () => (await list()).statusCode === 200, 30_000);
    const created = await call('POST', '/trpc/jobs.create', { prompt: 'submitted after it came back' });
    expect(created.statusCode).toBe(200);
  }, 120_000);
});
