import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadApiConfig, startApi, type RunningApi } from '@darkroom/api';
import type { JobView } from '@darkroom/core';
import { createTestDatabase, type TestDatabase } from '@darkroom/db/testing';
import { loadWorkerConfig, startWorker, type RunningWorker } from '@darkroom/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDarkroomClient } from './index.js';

// A real API and worker on a fresh database, reached over HTTP like any program would.
let database: TestDatabase;
let api: RunningApi;
let worker: RunningWorker;
let apiKey: string;
const storageDir = mkdtempSync(path.join(os.tmpdir(), 'darkroom-client-test-'));
beforeAll(async () => {
  database = await createTestDatabase();
  const env = { DATABASE_URL: database.url, STORAGE_DIR: storageDir, PORT: '0', LOG_LEVEL: 'silent', POLL_INTERVAL_MS: '200' };
  worker = await startWorker(loadWorkerConfig(env));
  api = await startApi(loadApiConfig(env));
  apiKey = await signUpForKey(api.url);
});

/** Signs up over HTTP (session cookie) and creates an API key with that session, as a newcomer would. */
async function signUpForKey(url: string): Promise<string> {
  const signUp = await fetch(`${url}/trpc/auth.signUp`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'client@example.com', password: 'a long enough password' }),
  });
  const cookie = signUp.headers.get('set-cookie')!.split(';')[0]!;
  const created = await fetch(`${url}/trpc/apiKeys.create`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', cookie },
    body: JSON.stringify({ name: 'client tests' }),
  });
  return ((await created.json()) as { result: { data: { key: string } } }).result.data.key;
}
afterAll(async () => {
  await api?.close();
  await worker?.stop();
  await database?.drop();
  rmSync(storageDir, { recursive: true, force: true });
});

describe('the typed client', () => {
  it('generate() submits, follows the job with backoff and returns the finished images', async () => {
    const darkroom = createDarkroomClient({ url: api.url, apiKey });
    const seen: JobView[] = [];
    const job = await darkroom.generate(
      { prompt: 'a paper boat on a pond', numImages: 3, preset: 'coloring-page' },
      { onProgress: (view) => seen.push(view), backoff: { initialMs: 50, maxMs: 200 } },
    );

    expect(job.status).toBe('succeeded');
    expect(job.images.filter((image) => image.url)).toHaveLength(3);
    const progress = seen.map((view) => view.progress);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
    const image = await fetch(`${api.url}${job.images[0]!.url}`, { headers: { authorization: `Bearer ${apiKey}` } });
    expect(image.headers.get('content-type')).toBe('image/png');
  });

  it('wait() gives up after timeoutMs on a job that cannot finish in time, and can wait again', async () => {
    const darkroom = createDarkroomClient({ url: api.url, apiKey });
    const job = await darkroom.submit({ prompt: 'slow enough', numImages: 8 });
    await expect(darkroom.wait(job.id, { timeoutMs: 1, backoff: { initialMs: 50 } })).rejects.toThrow(/did not finish within 1 ms/);
    expect((await darkroom.wait(job.id, { backoff: { initialMs: 50, maxMs: 200 } })).status).toBe('succeeded');
  });

  it('wait() stops when its signal aborts', async () => {
    const darkroom = createDarkroomClient({ url: api.url, apiKey });
    const job = await darkroom.submit({ prompt: 'abandoned', numImages: 8 });
    const controller = new AbortController();
    const waiting = darkroom.wait(job.id, { signal: controller.signal, backoff: { initialMs: 50 } });
    controller.abort(new Error('user left'));
    await expect(waiting).rejects.toThrow('user left');
  });

  it('is refused without an API key, and with a revoked one', async () => {
    const anonymous = createDarkroomClient({ url: api.url });
    expect(((await anonymous.submit({ prompt: 'who am I' }).catch((e: unknown) => e)) as { data?: { code?: string } }).data?.code).toBe('UNAUTHORIZED');
    const darkroom = createDarkroomClient({ url: api.url, apiKey });
    const { key, apiKey: view } = await darkroom.trpc.apiKeys.create.mutate({ name: 'short-lived' });
    const shortLived = createDarkroomClient({ url: api.url, apiKey: key });
    expect((await shortLived.trpc.auth.me.query()).email).toBe('client@example.com');
    await darkroom.trpc.apiKeys.revoke.mutate({ id: view.id });
    const error = (await shortLived.submit({ prompt: 'too late' }).catch((e: unknown) => e)) as { data?: { code?: string }; message?: string };
    expect([error.data?.code, error.message]).toEqual(['UNAUTHORIZED', 'this API key is not valid (revoked, or never issued)']);
  });

  it('surfaces bad input as a typed BAD_REQUEST', async () => {
    const darkroom = createDarkroomClient({ url: api.url, apiKey });
    const error = await darkroom.submit({ prompt: '' }).catch((e: unknown) => e);
    expect((error as { data?: { code?: string } }).data?.code).toBe('BAD_REQUEST');
  });
});
