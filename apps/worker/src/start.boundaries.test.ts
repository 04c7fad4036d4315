/**
 * A real worker (startWorker: graphile-worker, heartbeats, the change feed) on a real Postgres, at two
 * of the audit's seams: a job naming a provider the worker does not run (F3), and what its events tell
 * the job's owner about the machine (F21).
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createTestDatabase, type TestDatabase } from '@darkroom/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadWorkerConfig } from './env.js';
import { startWorker, type RunningWorker } from './start.js';

const PRICE = 10;
let database: TestDatabase;
let worker: RunningWorker;
let userId: string;

beforeAll(async () => {
  database = await createTestDatabase();
  userId = (await database.db.user.create({ data: { email: 'boundaries@example.com', creditBalance: 100 } })).id;
  worker = await startWorker(
    loadWorkerConfig({
      DATABASE_URL: database.url,
      STORAGE_DIR: mkdtempSync(path.join(os.tmpdir(), 'darkroom-boundaries-')),
      PROVIDERS_ENABLED: 'local',
      POLL_INTERVAL_MS: '100',
      LOG_LEVEL: 'silent',
    }),
  );
});
afterAll(async () => {
  await worker?.stop();
  await database.drop();
});

/** A queued job holding its credits, with its queue entry, as darkroom_accept_job leaves it. */
async function queuedJob(provider: string) {
  const job = await database.db.job.create({
    data: {
      userId,
      preset: 'illustration',
      prompt: `a job for ${provider}`,
      aspectRatio: '1:1',
      width: 256,
      height: 256,
      provider,
      numImages: 2,
      creditPrice: PRICE,
      creditsReserved: 2 * PRICE,
      images: { create: [{ index: 0 }, { index: 1 }] },
    },
  });
  await database.db.user.update({ where: { id: userId }, data: { creditBalance: { decrement: 2 * PRICE } } });
  await database.db.$executeRaw`select graphile_worker.add_job('generate', json_build_object('jobId', ${job.id}::text),
    job_key := ${job.id}::text)`;
  return job;
}

async function ended(jobId: string) {
  for (let i = 0; i < 400; i++) {
    const job = await database.db.job.findUniqueOrThrow({ where: { id: jobId } });
    if (['succeeded', 'failed', 'canceled'].includes(job.status)) return job;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`job ${jobId} did not end`);
}

const balance = async () => (await database.db.user.findUniqueOrThrow({ where: { id: userId } })).creditBalance;

describe('a job naming a provider this worker does not run (F3)', () => {
  it('fails provider_unavailable, refunds every credit, and no other provider makes its images', async () => {
    const before = await balance();
    const job = await queuedJob('openai');

    const done = await ended(job.id);

    expect([done.status, done.errorCode, done.errorRetryable]).toEqual(['failed', 'provider_unavailable', false]);
    expect(done.errorMessage).toBe('provider openai is not enabled on the worker that took this job');
    expect([done.creditsReserved, done.creditsCharged, await balance()]).toEqual([0, 0, before]);
    const images = await database.db.image.findMany({ where: { jobId: job.id } });
    expect(images.map((image) => [image.status, image.storageKey])).toEqual([
      ['canceled', null],
      ['canceled', null],
    ]);
    const events = await database.db.jobEvent.findMany({ where: { jobId: job.id }, orderBy: { id: 'asc' } });
    expect(events.map((event) => event.type)).not.toContain('warning');
    expect(events.filter((event) => event.type === 'finished').map((event) => event.data)).toEqual([
      expect.objectContaining({
        status: 'failed',
        code: 'provider_unavailable',
        credits: { charged: 0, refunded: 20 },
      }),
    ]);
  });
});

describe("what a job's events say about the worker (F21)", () => {
  it('names the worker by an opaque id, never its host name or pid; the heartbeat row ties them', async () => {
    const job = await queuedJob('local');

    expect((await ended(job.id)).status).toBe('succeeded');

    const started = await database.db.jobEvent.findFirstOrThrow({ where: { jobId: job.id, type: 'started' } });
    const text = JSON.stringify(started.data);
    expect(text).not.toContain(os.hostname());
    expect(text).not.toMatch(new RegExp(`\\b${process.pid}\\b`));
    const named = (started.data as { workerId: string }).workerId;
    expect(named).toMatch(/^darkroom-worker [0-9a-f-]{36}$/);
    const heartbeat = await database.db.workerHeartbeat.findFirstOrThrow({ where: { sessionName: named } });
    expect([heartbeat.workerId, heartbeat.host, heartbeat.pid]).toEqual([
      `${os.hostname()}:${process.pid}`,
      os.hostname(),
      process.pid,
    ]);
  });
});
