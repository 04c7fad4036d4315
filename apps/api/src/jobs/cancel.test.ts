import type { TRPCError } from '@trpc/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeHarness, type Harness } from '../testing/harness.js';

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

  it('refuses to cancel a finished job with PRECONDITION_FAILED, changing nothing', async () => {
    const job = await h.caller.jobs.create({ prompt: 'twice' });
    await h.caller.jobs.cancel({ id: job.id });
    const before = await h.db.job.findUniqueOrThrow({ where: { id: job.id } });
    const error = await h.caller.jobs.cancel({ id: job.id }).catch((e: unknown) => e);

    expect((error as TRPCError).code).toBe('PRECONDITION_FAILED');
    expect(await h.db.job.findUniqueOrThrow({ where: { id: job.id } })).toEqual(before);
  });

  it('answers NOT_FOUND for an unknown job', async () => {
    const error = await h.caller.jobs.cancel({ id: '00000000-0000-4000-8000-000000000001' }).catch((e: unknown) => e);
    expect((error as TRPCError).code).toBe('NOT_FOUND');
  });
});
