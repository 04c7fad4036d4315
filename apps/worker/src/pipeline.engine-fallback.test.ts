/**
 * An unreachable engine is `transient`, never a crash: the image is retried on it, and once its attempts
 * are spent it moves to the next provider of the fallback order, which makes it.
 */
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createTestDatabase, type TestDatabase } from '@darkroom/db/testing';
import { createComfyUIProvider, createLocalProvider, type ImageProvider } from '@darkroom/providers';
import { createFilesystemStorage } from '@darkroom/storage';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runJob } from './pipeline.js';

let database: TestDatabase;
let dead: string;
const storage = createFilesystemStorage({ root: mkdtempSync(path.join(os.tmpdir(), 'darkroom-engine-fallback-')) });

beforeAll(async () => {
  database = await createTestDatabase();
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  dead = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  await new Promise<void>((resolve) => server.close(() => resolve()));
});
afterAll(() => database.drop());

describe('an unreachable engine', () => {
  it('is retried as transient, then the image falls back to the next provider', async () => {
    const userId = (await database.db.user.create({ data: { email: 'fallback@example.com' } })).id;
    const job = await database.db.job.create({
      data: {
        userId,
        preset: 'illustration',
        prompt: 'a lighthouse',
        aspectRatio: '3:2',
        width: 96,
        height: 64,
        provider: 'comfyui',
        numImages: 1,
        seed: 5,
        images: { create: [{ index: 0, seed: 5 }] },
      },
    });
    const adapters: Record<string, ImageProvider> = {
      comfyui: createComfyUIProvider({ urls: [dead], pollIntervalMs: 10 }),
      local: createLocalProvider(),
    };

    await runJob(
      {
        db: database.db,
        storage,
        providerFor: (name) => adapters[name]!,
        log: pino({ level: 'silent' }),
        workerId: 'engine-fallback-test',
        imageConcurrency: 1,
        imageRetry: { maxAttempts: 2, baseMs: 10, capMs: 20, maxRetryAfterMs: 20 },
        fallbackOrder: ['local'],
      },
      job.id,
    );

    const image = await database.db.image.findFirstOrThrow({ where: { jobId: job.id } });
    expect([image.status, image.provider]).toEqual(['succeeded', 'local']);
    const events = await database.db.jobEvent.findMany({ where: { jobId: job.id }, orderBy: { id: 'asc' } });
    const fallback = events.find((event) => event.type === 'provider_fallback');
    expect(fallback?.data).toEqual({ index: 0, from: 'comfyui', to: 'local', reason: 'transient' });
    expect(events.filter((event) => event.type === 'retry_scheduled').map((event) => event.data)).toEqual([
      { index: 0, attempt: 1, delayMs: expect.any(Number), reason: 'transient' },
    ]);
  });
});
