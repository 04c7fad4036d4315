import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadApiConfig, startApi, type RunningApi } from '@darkroom/api';
import { createTestDatabase, type TestDatabase } from '@darkroom/db/testing';
import { loadWorkerConfig, startWorker, type RunningWorker } from '@darkroom/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDarkroomClient, type ImagePreview } from './index.js';

// A real API and a worker whose `local` provider renders in three visible passes, LOCAL_PASS_MS apart.
let database: TestDatabase;
let api: RunningApi;
let worker: RunningWorker;
let apiKey: string;
const storageDir = mkdtempSync(path.join(os.tmpdir(), 'darkroom-client-previews-'));
beforeAll(async () => {
  database = await createTestDatabase();
  const env = {
    DATABASE_URL: database.url,
    STORAGE_DIR: storageDir,
    PORT: '0',
    LOG_LEVEL: 'silent',
    POLL_INTERVAL_MS: '200',
  };
  worker = await startWorker(
    loadWorkerConfig({ ...env, LOCAL_PASS_MS: '500', PREVIEW_INTERVAL_MS: '100', IMAGE_CONCURRENCY: '1' }),
  );
  api = await startApi(loadApiConfig(env));
  const signUp = await fetch(`${api.url}/trpc/auth.signUp`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'previews@example.com', password: 'a long enough password' }),
  });
  const cookie = signUp.headers.get('set-cookie')!.split(';')[0]!;
  const created = await fetch(`${api.url}/trpc/apiKeys.create`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', cookie },
    body: JSON.stringify({ name: 'previews' }),
  });
  apiKey = ((await created.json()) as { result: { data: { key: string } } }).result.data.key;
});
afterAll(async () => {
  await api?.close();
  await worker?.stop();
  await database?.drop();
  rmSync(storageDir, { recursive: true, force: true });
});

const isWebp = (bytes: Uint8Array | null) =>
  bytes !== null &&
  Buffer.from(bytes).toString('latin1', 0, 4) === 'RIFF' &&
  Buffer.from(bytes).toString('latin1', 8, 12) === 'WEBP';

interface Seen {
  preview: ImagePreview;
  bytes: Uint8Array | null;
}

describe('onPreview', () => {
  it('generate() hands over each pass of each image once, with its step and its webp bytes, before the job ends', async () => {
    const darkroom = createDarkroomClient({ url: api.url, apiKey });
    const seen: Seen[] = [];

    const job = await darkroom.generate(
      { prompt: 'a lighthouse at dusk', numImages: 2, provider: 'local' },
      { onPreview: async (preview) => void seen.push({ preview, bytes: await preview.bytes() }) },
    );

    expect(job.status).toBe('succeeded');
    for (const image of job.images) {
      const mine = seen.filter((one) => one.preview.imageId === image.id);
      expect(mine.map((one) => [one.preview.index, one.preview.step, one.preview.steps])).toEqual([
        [image.index, 1, 3],
        [image.index, 2, 3],
      ]);
      expect(new Set(mine.map((one) => one.preview.url)).size).toBe(2);
      expect(mine.every((one) => one.preview.url.startsWith(`${api.url}/images/${image.id}/preview?v=`))).toBe(true);
      expect(mine.every((one) => isWebp(one.bytes))).toBe(true);
    }
  });

  it('wait() sees previews when polling too, and a preview from a stored image reads as null', async () => {
    const darkroom = createDarkroomClient({ url: api.url, apiKey });
    const submitted = await darkroom.submit({ prompt: 'a quiet harbour', provider: 'local' });
    const previews: ImagePreview[] = [];

    const job = await darkroom.wait(submitted.id, {
      live: false,
      backoff: { initialMs: 50, maxMs: 100 },
      onPreview: (preview) => void previews.push(preview),
    });

    expect(job.status).toBe('succeeded');
    expect(previews.map((preview) => preview.step)).toEqual([1, 2]);
    // The image is stored now, so its preview is gone.
    expect(await previews[0]!.bytes()).toBeNull();
  });

  it('a listener that fails fails wait(), after the job is followed to its end', async () => {
    const darkroom = createDarkroomClient({ url: api.url, apiKey });
    const submitted = await darkroom.submit({ prompt: 'a paper boat', provider: 'local' });

    const waiting = darkroom.wait(submitted.id, {
      onPreview: async () => {
        throw new Error('disk full');
      },
    });

    await expect(waiting).rejects.toThrow('disk full');
    expect((await darkroom.trpc.jobs.get.query({ id: submitted.id })).status).toBe('succeeded');
  });
});
