import type { TRPCError } from '@trpc/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, makeHarness, type Harness } from '../../test/harness.js';

let h: Harness;
beforeAll(async () => {
  h = await makeHarness();
});
afterAll(() => h.close());

describe('jobs.cancel', () => {
  it('cancels a queued job at once and removes its queue entry', async () => {
    const job = await h.caller.jobs.create({ prompt: 'never mind', numImages: 3 });
    const canceled = await h.caller.jobs.cancel({ id: job.id });

    expect(canceled.status).toBe('canceled');
    expect(canceled.finishedAt).not.toBeNull();
    expect(canceled.images.map((image) => image.status)).toEqual(['canceled', 'canceled', 'canceled']);
    const entries = await h.db.$queryRaw<unknown[]>`select 1 from graphile_worker.jobs where key = ${job.id}`;
    expect(entries).toHaveLength(0);
    const events = await h.db.jobEvent.findMany({ where: { jobId: job.id }, orderBy: { id: 'asc' } });
    expect(events.map((event) => event.type)).toEqual(['created', 'finished']);
  });

  it('refuses to cancel a finished job with CONFLICT (INVALID_STATE), changing nothing', async () => {
    const job = await h.caller.jobs.create({ prompt: 'twice' });
    await h.caller.jobs.cancel({ id: job.id });
    const before = await h.db.job.findUniqueOrThrow({ where: { id: job.id } });
    const error = await h.caller.jobs.cancel({ id: job.id }).catch((e: unknown) => e);

    expect((error as TRPCError).code).toBe('CONFLICT');
    expect(await h.db.job.findUniqueOrThrow({ where: { id: job.id } })).toEqual(before);
  });

  it("a running job's cancel answers with an older version than the canceled view that follows", async () => {
    // The web app keeps the newer of two views by version: this is what it relies on when the stream's
    // "canceled" arrives before the cancel's own answer.
    await h.startWorker({ MOCK_LATENCY_MS: '500', IMAGE_CONCURRENCY: '1' });
    const job = await h.caller.jobs.create({ prompt: 'stop me while I run', numImages: 4, provider: 'mock' });
    const running = await eventually(async () => {
      const view = await h.caller.jobs.get({ id: job.id });
      return view.status === 'running' ? view : null;
    });
    expect(running.version).toBeGreaterThan(job.version);
    const answer = await h.caller.jobs.cancel({ id: job.id });
    // Read after the request committed: the worker may already have ended the job (then it is canceled).
    expect(answer.version).toBeGreaterThan(running.version);
    const ended = await eventually(async () => {
      const view = await h.caller.jobs.get({ id: job.id });
      return view.status === 'canceled' ? view : null;
    });
    if (answer.status === 'running') expect(ended.version).toBeGreaterThan(answer.version);
    else expect(ended.version).toBe(answer.version);
    // Every view of the job, in the order they were read, has a version no smaller than the one before.
    const again = await h.caller.jobs.get({ id: job.id });
    expect(again.version).toBe(ended.version);
  });

  it('answers NOT_FOUND for an unknown job', async () => {
    const error = await h.caller.jobs.cancel({ id: '00000000-0000-4000-8000-000000000001' }).catch((e: unknown) => e);
    expect((error as TRPCError).code).toBe('NOT_FOUND');
  });
});
