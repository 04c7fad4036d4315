import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { makeHarness, type Harness } from '../../test/harness.js';
import { getQueueStatus } from './service.js';

let h: Harness;
beforeAll(async () => {
  h = await makeHarness();
});
afterAll(() => h.close());
beforeEach(async () => {
  await h.db.$executeRaw`delete from graphile_worker._private_jobs`;
  await h.db.job.deleteMany();
  await h.db.workerHeartbeat.deleteMany();
});

/** A job row as a worker leaves it, `minutesAgo` after the fact. */
async function endedJob(status: 'succeeded' | 'failed' | 'canceled', minutesAgo: number, waitedSeconds = 0) {
  const finishedAt = new Date(Date.now() - minutesAgo * 60_000);
  const startedAt = new Date(finishedAt.getTime() - 1000);
  await h.db.job.create({
    data: {
      userId: h.user.id,
      preset: 'illustration',
      prompt: 'ended',
      aspectRatio: '1:1',
      width: 64,
      height: 64,
      provider: 'local',
      numImages: 1,
      status,
      createdAt: new Date(startedAt.getTime() - waitedSeconds * 1000),
      startedAt,
      finishedAt,
    },
  });
}

async function beat(workerId: string, secondsAgo: number, sessionName?: string) {
  await h.db.workerHeartbeat.create({
    data: {
      workerId,
      sessionName: sessionName ?? null,
      host: 'test',
      pid: 1,
      concurrency: 1,
      graphileWorkerIds: [],
      startedAt: new Date(Date.now() - secondsAgo * 1000),
      lastSeenAt: new Date(Date.now() - secondsAgo * 1000),
    },
  });
}

describe('queue.status', () => {
  it('is healthy and empty with nothing to do', async () => {
    expect(await h.caller.queue.status()).toEqual({
      queueLength: 0,
      running: 0,
      averageWaitSeconds: null,
      queuedByPriority: { urgent: 0, high: 0, normal: 0, low: 0 },
      workersAlive: 0,
      finishedLast15m: 0,
      failureRateLast15m: null,
      systemStatus: 'healthy',
      reasons: [],
    });
  });

  it('counts the queue by priority, and is critical while jobs wait with no live worker', async () => {
    for (const priority of ['urgent', 'high', 'high', 'low'] as const)
      await h.caller.jobs.create({ prompt: `a ${priority} job`, priority });
    await beat('long-gone', 120);

    const status = await h.caller.queue.status();

    expect(status.queuedByPriority).toEqual({ urgent: 1, high: 2, normal: 0, low: 1 });
    expect(status.queueLength).toBe(4);
    expect(status.workersAlive).toBe(0);
    expect(status.systemStatus).toBe('critical');
    expect(status.reasons).toEqual(['4 jobs wait and no worker is alive']);

    await beat('alive', 1);
    expect(await h.caller.queue.status()).toMatchObject({ workersAlive: 1, systemStatus: 'healthy' });
  });

  it('judges the failure rate of the last 15 minutes only, canceled jobs aside', async () => {
    await beat('alive', 1);
    for (let i = 0; i < 4; i++) await endedJob('succeeded', 5, 10);
    for (let i = 0; i < 2; i++) await endedJob('failed', 5, 20);
    await endedJob('canceled', 5);
    for (let i = 0; i < 10; i++) await endedJob('failed', 60);

    const warning = await h.caller.queue.status();
    expect(warning).toMatchObject({ finishedLast15m: 6, systemStatus: 'warning' });
    expect(warning.failureRateLast15m).toBeCloseTo(2 / 6);
    expect(warning.averageWaitSeconds).toBeCloseTo((4 * 10 + 2 * 20) / 7, 0);

    for (let i = 0; i < 3; i++) await endedJob('failed', 1);
    const critical = await h.caller.queue.status();
    expect([critical.systemStatus, critical.failureRateLast15m]).toEqual(['critical', 5 / 9]);
    expect(critical.reasons[0]).toMatch(/56 % of the jobs that ended in the last 15 minutes failed/);
  });

  it('warns when the queue is longer than configured', async () => {
    await beat('alive', 1);
    for (let i = 0; i < 3; i++) await h.caller.jobs.create({ prompt: `queued ${i}` });

    const status = await getQueueStatus({
      db: h.db,
      settings: { warnQueueLength: 2, workerDeadAfterSeconds: 30, queueStatusMaxAgeMs: 0 },
    });

    expect([status.systemStatus, status.reasons]).toEqual(['warning', ['3 jobs are queued (more than 2)']]);
  });

  it('reuses one answer for queueStatusMaxAgeMs, so pollers share one count of the queue', async () => {
    const settings = { warnQueueLength: 100, workerDeadAfterSeconds: 30, queueStatusMaxAgeMs: 3_600_000 };
    const first = await getQueueStatus({ db: h.db, settings });
    await h.caller.jobs.create({ prompt: 'queued after the first count' });

    const reused = await getQueueStatus({ db: h.db, settings });
    const fresh = await getQueueStatus({ db: h.db, settings: { ...settings, queueStatusMaxAgeMs: 0 } });

    expect(reused).toEqual(first);
    expect(fresh.queueLength).toBe(first.queueLength + 1);
  });

  it('lists workers for admins, alive or silent, with the jobs each runs', async () => {
    await beat('busy', 2, 'darkroom-worker 0b6f8a6e-busy');
    await beat('silent', 120);
    const jobs = [
      await h.caller.jobs.create({ prompt: 'running on busy, named by its session (events users read)' }),
      await h.caller.jobs.create({ prompt: 'running on busy, named by host:pid (an older event)' }),
    ];
    await h.db.job.updateMany({
      where: { id: { in: jobs.map((job) => job.id) } },
      data: { status: 'running', startedAt: new Date() },
    });
    await h.db.jobEvent.createMany({
      data: [
        { jobId: jobs[0]!.id, type: 'started', data: { workerId: 'darkroom-worker 0b6f8a6e-busy' } },
        { jobId: jobs[1]!.id, type: 'started', data: { workerId: 'busy' } },
      ],
    });

    const workers = await h.admin.caller.queue.workers();

    expect(workers.map(({ workerId, alive, running }) => ({ workerId, alive, running }))).toEqual([
      { workerId: 'silent', alive: false, running: 0 },
      { workerId: 'busy', alive: true, running: 2 },
    ]);
    const refused = await h.caller.queue.workers().catch((error: unknown) => error);
    expect((refused as { code?: string }).code).toBe('FORBIDDEN');
  });

  it('rebuilds the last hour minute by minute for admins: queued by priority, ended by outcome', async () => {
    const minute = 60_000;
    const ago = (ms: number) => new Date(Date.now() - ms);
    /** A job of `priority` that waited from `createdAgo` until `startedAgo` (null: still waiting). */
    const waited = async (
      priority: 'urgent' | 'low',
      createdAgo: number,
      startedAgo: number | null,
      status: 'queued' | 'succeeded' | 'failed' = 'queued',
    ) => {
      const job = await h.caller.jobs.create({ prompt: `waited ${priority}`, priority });
      await h.db.job.update({
        where: { id: job.id },
        data: {
          createdAt: ago(createdAgo),
          status,
          // An ended job holds no credits (jobs_credits_reserved_zero_when_terminal).
          ...(status === 'queued' ? {} : { creditsReserved: 0 }),
          ...(startedAgo === null ? {} : { startedAt: ago(startedAgo), finishedAt: ago(startedAgo - 1000) }),
        },
      });
    };
    await waited('low', 30 * minute, null);
    await waited('urgent', 10 * minute + 5000, 5 * minute + 5000, 'succeeded');
    await waited('urgent', 10 * minute + 5000, 5 * minute + 5000, 'failed');

    const history = await h.admin.caller.queue.history();

    expect(history).toHaveLength(60);
    const at = (msAgo: number) =>
      history.find(
        (point) => Date.parse(point.at) > Date.now() - msAgo && Date.parse(point.at) <= Date.now() - msAgo + minute,
      )!;
    // Half an hour ago only the low job had arrived; seven minutes ago the two urgent ones waited too;
    // now only the low one is left.
    expect(at(20 * minute).queued).toEqual({ urgent: 0, high: 0, normal: 0, low: 1 });
    expect(at(7 * minute).queued).toEqual({ urgent: 2, high: 0, normal: 0, low: 1 });
    expect(history.at(-1)!.queued).toEqual({ urgent: 0, high: 0, normal: 0, low: 1 });
    expect(history.reduce((sum, point) => sum + point.succeeded, 0)).toBe(1);
    expect(history.reduce((sum, point) => sum + point.failed, 0)).toBe(1);
  });

  it('lists the latest failures with their codes, for admins', async () => {
    const job = await h.caller.jobs.create({ prompt: 'refused' });
    await h.db.job.update({
      where: { id: job.id },
      data: {
        status: 'failed',
        finishedAt: new Date(),
        creditsReserved: 0,
        errorCode: 'content_filtered',
        errorMessage: 'the provider refused the prompt',
      },
    });

    const failures = await h.admin.caller.queue.recentFailures();

    expect(failures[0]).toMatchObject({
      jobId: job.id,
      owner: h.user.email,
      code: 'content_filtered',
      message: 'the provider refused the prompt',
    });
    const refused = await h.caller.queue.recentFailures().catch((error: unknown) => error);
    expect((refused as { code?: string }).code).toBe('FORBIDDEN');
  });
});
