/**
 * The image retry knobs reach a real worker: started from its environment (startWorker), on a real
 * Postgres, with the mock vendor failing every call with a transient error.
 */
import { createTestDatabase, type TestDatabase } from '@darkroom/db/testing';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadWorkerConfig } from './env.js';
import { startWorker } from './start.js';

let database: TestDatabase;
let userId: string;
const storageDir = mkdtempSync(path.join(os.tmpdir(), 'darkroom-image-retry-'));
beforeAll(async () => {
  database = await createTestDatabase();
  userId = (await database.db.user.create({ data: { email: 'retry-knobs@example.com' } })).id;
});
afterAll(async () => {
  await database.drop();
  rmSync(storageDir, { recursive: true, force: true });
});

/** Runs one one-image mock job on a worker started with `env`; answers the job's image and events once it ended. */
async function runOnWorker(env: Record<string, string>) {
  const job = await database.db.job.create({
    data: {
      userId,
      preset: 'illustration',
      prompt: 'a flaky vendor',
      aspectRatio: '1:1',
      width: 64,
      height: 64,
      provider: 'mock',
      numImages: 1,
      images: { create: [{ index: 0 }] },
    },
  });
  await database.db
    .$executeRaw`select graphile_worker.add_job('generate', json_build_object('jobId', ${job.id}::text), job_key := ${job.id}::text)`;
  const worker = await startWorker(
    loadWorkerConfig({
      DATABASE_URL: database.url,
      STORAGE_DIR: storageDir,
      POLL_INTERVAL_MS: '100',
      LOG_LEVEL: 'silent',
      MOCK_FAILURES: 'transient:1',
      IMAGE_RETRY_BASE_MS: '1',
      IMAGE_RETRY_CAP_MS: '1',
      ...env,
    }),
  );
  try {
    const deadline = Date.now() + 30_000;
    while ((await database.db.job.findUniqueOrThrow({ where: { id: job.id } })).status !== 'failed') {
      if (Date.now() > deadline) throw new Error('the job did not fail within 30 s');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  } finally {
    await worker.stop();
  }
  const image = await database.db.image.findFirstOrThrow({ where: { jobId: job.id } });
  const events = await database.db.jobEvent.findMany({ where: { jobId: job.id }, orderBy: { id: 'asc' } });
  return { image, retries: events.filter((event) => event.type === 'retry_scheduled').length };
}

describe('IMAGE_MAX_ATTEMPTS on a running worker', () => {
  it('IMAGE_MAX_ATTEMPTS=1: a transient vendor error fails the image at its first try, with no retry', async () => {
    const { image, retries } = await runOnWorker({ IMAGE_MAX_ATTEMPTS: '1' });
    expect([image.status, image.errorCode, image.attempts, retries]).toEqual(['failed', 'transient', 1, 0]);
  }, 60_000);

  it('IMAGE_MAX_ATTEMPTS=2: the same error is tried once more', async () => {
    const { image, retries } = await runOnWorker({ IMAGE_MAX_ATTEMPTS: '2' });
    expect([image.status, image.errorCode, image.attempts, retries]).toEqual(['failed', 'transient', 2, 1]);
  }, 60_000);
});
