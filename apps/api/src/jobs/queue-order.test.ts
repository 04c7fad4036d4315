import type { TRPCError } from '@trpc/server';
import { promoteAgedJobs, failExpiredStarts } from '@darkroom/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, makeHarness, type Harness } from '../../test/harness.js';

// Queue order without workers: positions, priorities, fairness between users, aging, start deadlines.
let h: Harness;
beforeAll(async () => {
  h = await makeHarness();
});
afterAll(() => h.close());

async function graphilePriority(jobId: string) {
  const [row] = await h.db.$queryRaw<
    { priority: number }[]
  >`select priority from graphile_worker._private_jobs where key = ${jobId}`;
  return row?.priority;
}

describe('queue order', () => {
  it("puts another user's first job ahead of one user's backlog, and reports both positions", async () => {
    const a = await h.makeUser('a@example.com');
    const b = await h.makeUser('b@example.com');
    const backlog = [];
    for (let i = 0; i < 5; i++) backlog.push(await a.caller.jobs.create({ prompt: `a ${i}`, provider: 'mock' }));
    const single = await b.caller.jobs.create({ prompt: 'b 0', provider: 'mock' });

    // Only A's first job (same slot, submitted earlier) is ahead of B's.
    expect(single.queuePosition).toBe(1);
    expect((await a.caller.jobs.get({ id: backlog[4]!.id })).queuePosition).toBe(5);
    // The queue's real order, graphile-worker's priority, agrees with the positions.
    expect(await graphilePriority(single.id)).toBeLessThan((await graphilePriority(backlog[1]!.id))!);
    expect(await graphilePriority(single.id)).toBe(await graphilePriority(backlog[0]!.id));
    for (const job of [...backlog, single])
      await h.callerFor((job === single ? b : a).user).jobs.cancel({ id: job.id });
  });

  it('answers the place of a submit behind a longer queue than the accept counts', async () => {
    // AHEAD_COUNTED_UP_TO (1,000) + 200 queued jobs of another account, all ahead (an older, lower rank).
    const other = await h.makeUser('long-queue@example.com');
    await h.db.$executeRaw`
      insert into jobs (id, user_id, preset, prompt, aspect_ratio, width, height, provider, num_images, status,
        queue_rank, attempts, credit_price, credits_reserved, credits_charged, created_at, updated_at, progress)
      select uuidv7(), ${other.user.id}::uuid, 'illustration', 'bulk ' || n, '1:1', 512, 512, 'mock', 1, 'queued',
        -100000, 0, 1, 1, 0, now() - interval '1 hour' + n * interval '1 ms', now(), 0
      from generate_series(1, 1200) n`;
    try {
      const c = await h.makeUser('behind@example.com');
      const job = await c.caller.jobs.create({ prompt: 'behind a long queue', provider: 'mock' });
      const [counted] = await h.db.$queryRaw<{ ahead: bigint }[]>`
        select count(*) as ahead from jobs where status = 'queued'
          and (queue_rank, created_at, id) < (select queue_rank, created_at, id from jobs where id = ${job.id}::uuid)`;
      const ahead = Number(counted!.ahead);
      expect(ahead).toBeGreaterThanOrEqual(1200);
      expect(job.queuePosition).toBe(ahead);
      expect((await c.caller.jobs.get({ id: job.id })).queuePosition).toBe(ahead);
      await c.caller.jobs.cancel({ id: job.id });
    } finally {
      await h.db.$executeRaw`delete from jobs where user_id = ${other.user.id}::uuid`;
    }
  });

  it("gives every queued job on a jobs.list page and in a batch the place jobs.get gives it, other users' jobs interleaved", async () => {
    const a = await h.makeUser('lister@example.com');
    const b = await h.makeUser('interleaver@example.com');
    const mine: { id: string }[] = [];
    for (let i = 0; i < 4; i++) {
      mine.push(await a.caller.jobs.create({ prompt: `mine ${i}`, priority: i === 2 ? 'high' : 'normal' }));
      await b.caller.jobs.create({ prompt: `theirs ${i}` });
    }
    const batch = await a.caller.jobs.createBatch({
      requests: [{ prompt: 'batch 0' }, { prompt: 'batch 1', priority: 'low' }],
    });
    await a.caller.jobs.cancel({ id: mine[1]!.id });

    const page = await a.caller.jobs.list({ limit: 20 });
    const again = await a.caller.jobs.batch({ batchId: batch.batchId });

    const expected = async (id: string) => (await a.caller.jobs.get({ id })).queuePosition;
    for (const item of [...page.items, ...again.jobs])
      expect([item.id, item.queuePosition]).toEqual([item.id, await expected(item.id)]);
    expect(page.items.find((item) => item.id === mine[1]!.id)?.queuePosition).toBeNull();
    expect(new Set(page.items.map((item) => item.queuePosition)).size).toBe(page.items.length);
    for (const item of page.items) if (item.status === 'queued') await a.caller.jobs.cancel({ id: item.id });
    for (const item of (await b.caller.jobs.list({ limit: 20 })).items)
      if (item.status === 'queued') await b.caller.jobs.cancel({ id: item.id });
  });

  it('serves urgent before high before normal before low', async () => {
    const low = await h.caller.jobs.create({ prompt: 'low', priority: 'low' });
    const normal = await h.caller.jobs.create({ prompt: 'normal' });
    const high = await h.caller.jobs.create({ prompt: 'high', priority: 'high' });
    const urgent = await h.caller.jobs.create({ prompt: 'urgent', priority: 'urgent' });
    const positions = await Promise.all(
      [urgent, high, normal, low].map(async (job) => (await h.caller.jobs.get({ id: job.id })).queuePosition),
    );
    expect(positions).toEqual([0, 1, 2, 3]);
    for (const job of [low, normal, high, urgent]) await h.caller.jobs.cancel({ id: job.id });
  });

  it('promotes a low job that waited too long into the normal band, queue entry included', async () => {
    const low = await h.caller.jobs.create({ prompt: 'patient', priority: 'low' });
    const fresh = await h.caller.jobs.create({ prompt: 'also low', priority: 'low' });
    await h.db.job.update({ where: { id: low.id }, data: { createdAt: new Date(Date.now() - 600_000) } });
    const before = await graphilePriority(low.id);

    const promoted = await promoteAgedJobs(h.db, 300);

    expect(promoted).toEqual([low.id]);
    const after = await graphilePriority(low.id);
    expect(after).toBeLessThan(before!);
    expect(after).toBe((await h.db.job.findUniqueOrThrow({ where: { id: low.id } })).queueRank);
    expect(await graphilePriority(fresh.id)).toBe(before! + 1);
    const events = await h.caller.jobs.events({ id: low.id });
    expect(events.map((event) => event.type)).toContain('promoted');
    await h.caller.jobs.cancel({ id: low.id });
    await h.caller.jobs.cancel({ id: fresh.id });
  });

  it('rejects a start deadline in the past, writing nothing', async () => {
    const before = await h.db.job.count();
    const error = await h.caller.jobs
      .create({ prompt: 'too late', startBy: new Date(Date.now() - 1000).toISOString() })
      .catch((e: unknown) => e);
    expect((error as TRPCError).code).toBe('BAD_REQUEST');
    expect((error as TRPCError).message).toMatch(/startBy must be in the future/);
    expect(await h.db.job.count()).toBe(before);
  });

  it('fails a queued job whose start deadline passes while no worker takes it', async () => {
    const job = await h.caller.jobs.create({ prompt: 'in a hurry', startBy: new Date(Date.now() + 300).toISOString() });
    expect(job.startBy).not.toBeNull();
    await new Promise((resolve) => setTimeout(resolve, 400));

    expect(await failExpiredStarts(h.db)).toEqual([job.id]);

    const failed = await h.caller.jobs.get({ id: job.id });
    expect([failed.status, failed.error?.code]).toEqual(['failed', 'start_deadline_exceeded']);
    expect(await graphilePriority(job.id)).toBeUndefined();
  });
});

describe('queue order with workers', () => {
  it("starts user B's one job right after user A queued 500 (2 workers, mock at 100 ms)", async () => {
    const worker = { MOCK_LATENCY_MS: '100', WORKER_CONCURRENCY: '1', IMAGE_CONCURRENCY: '1' };
    await h.startWorker({ ...worker, WORKER_ID: 'w1' });
    await h.startWorker({ ...worker, WORKER_ID: 'w2' });
    const a = await h.makeUser('backlog@example.com');
    const b = await h.makeUser('newcomer@example.com');
    for (let i = 0; i < 500; i += 50) {
      await Promise.all(
        Array.from({ length: 50 }, (_, j) => a.caller.jobs.create({ prompt: `backlog ${i + j}`, provider: 'mock' })),
      );
    }
    const single = await b.caller.jobs.create({ prompt: 'just one', provider: 'mock' });
    // Counted from when B's job was queued (its row committed), not from when the call began: a submit
    // also passes the rate limiter and reserves credits, and A's starts during that time are not "after".
    const submitted = new Date(single.createdAt);

    const started = await eventually(async () => (await b.caller.jobs.get({ id: single.id })).startedAt, 20_000);
    // Workers that were mid-job when B submitted may each start one more of A's; then B's is next.
    const aStartsBetween = await h.db.job.count({
      where: { userId: a.user.id, startedAt: { gte: submitted, lt: new Date(started) } },
    });
    expect(aStartsBetween).toBeLessThanOrEqual(2);
    const aQueued = await h.db.job.count({ where: { userId: a.user.id, status: 'queued' } });
    expect(aQueued).toBeGreaterThan(400);
    await h.db.$executeRaw`delete from graphile_worker._private_jobs`;
    await h.db.job.updateMany({
      where: { status: 'queued' },
      data: { status: 'canceled', finishedAt: new Date(), creditsReserved: 0 },
    });
  }, 60_000);
});
