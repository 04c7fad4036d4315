/**
 * Scheduling: `notBefore` holds a job in the queue until its time (graphile-worker's run_at), the quote
 * and the job's view predict the start from it, `rejectIfLate` refuses at submit a job the queue cannot
 * start by its `startBy`, and a scheduled job cancels and refunds like any queued job, also when the
 * cancel meets the scheduled start. Real Postgres, a real worker.
 */
import { TRPCError } from '@trpc/server';
import type { JobRequestInput } from '@darkroom/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, makeHarness, type Harness } from '../../test/harness.js';

let h: Harness;
beforeAll(async () => {
  h = await makeHarness({ settings: { prices: { local: 1, mock: 1 } } });
});
afterAll(() => h.close());

const inSeconds = (seconds: number) => new Date(Date.now() + seconds * 1000).toISOString();

async function written() {
  const [jobs, entries, queued] = await Promise.all([
    h.db.job.count(),
    h.db.creditEntry.count(),
    h.db.$queryRaw<{ n: bigint }[]>`select count(*) as n from graphile_worker._private_jobs`,
  ]);
  return { jobs, entries, queued: Number(queued[0]!.n) };
}

async function refusal(promise: Promise<unknown>) {
  const error = await promise.catch((e: unknown) => e);
  expect(error).toBeInstanceOf(TRPCError);
  return error as TRPCError & { cause?: { details?: Record<string, unknown> } };
}

describe('scheduling: bad input', () => {
  it.each<[string, JobRequestInput, string, string]>([
    ['notBefore in the past', { prompt: 'p', notBefore: inSeconds(-5) }, 'notBefore', 'in the future'],
    ['notBefore 31 days ahead', { prompt: 'p', notBefore: inSeconds(31 * 86400) }, 'notBefore', '30 days'],
    ['rejectIfLate without startBy', { prompt: 'p', rejectIfLate: true }, 'rejectIfLate', 'needs startBy'],
    [
      'startBy before notBefore',
      { prompt: 'p', notBefore: inSeconds(60), startBy: inSeconds(30) },
      'startBy',
      'later than notBefore',
    ],
  ])('%s is a typed error naming the field, and nothing is written', async (_name, request, field, words) => {
    const before = await written();
    for (const call of [h.caller.jobs.create(request), h.caller.jobs.quote(request)]) {
      const error = await refusal(call);
      expect(error.code).toBe('BAD_REQUEST');
      expect(error.message).toContain(words);
      expect(error.cause?.details?.field).toBe(field);
    }
    expect(await written()).toEqual(before);
  });

  it('an unknown webhook event names the field and lists the known ones', async () => {
    const response = await h.inject({
      method: 'POST',
      url: '/api/v1/generations',
      payload: { prompt: 'p', webhookUrl: 'https://example.com/hook', webhookEvents: ['job.finished', 'job.exploded'] },
    });
    expect(response.statusCode).toBe(400);
    const text = response.body;
    expect(text).toContain('webhookEvents');
    expect(text).toContain('job.exploded');
    for (const known of ['job.started', 'image.succeeded', 'image.failed', 'job.progress', 'job.position'])
      expect(text).toContain(known);
  });
});

describe('scheduling: predictions and refusals', () => {
  it('the quote and the job view start a scheduled job no earlier than notBefore', async () => {
    const notBefore = inSeconds(600);
    const quote = await h.caller.jobs.quote({ prompt: 'later', notBefore });
    expect(Date.parse(quote.predictedStartAt!)).toBeGreaterThanOrEqual(Date.parse(notBefore) - 1000);
    expect(quote.estimatedWaitSeconds).toBeGreaterThan(590);

    const job = await h.caller.jobs.create({ prompt: 'later', notBefore });
    expect(job.notBefore).toBe(notBefore);
    expect(job.estimatedWaitSeconds).toBeGreaterThan(590);
    const read = await h.caller.jobs.get({ id: job.id });
    expect(read.estimatedWaitSeconds).toBeGreaterThan(590);
    const events = await h.caller.jobs.events({ id: job.id });
    expect(events[0]).toMatchObject({ type: 'created', data: { notBefore } });
    await h.caller.jobs.cancel({ id: job.id });
  });

  it('rejectIfLate refuses a job whose predicted start misses startBy, with the prediction, writing nothing', async () => {
    const before = await written();
    const balance = (await h.db.user.findUniqueOrThrow({ where: { id: h.user.id } })).creditBalance;
    // Not before 120 s from now, start by 200 s, an empty queue: in time.
    const ok = await h.caller.jobs.create({
      prompt: 'in time',
      notBefore: inSeconds(120),
      startBy: inSeconds(200),
      rejectIfLate: true,
    });
    await h.caller.jobs.cancel({ id: ok.id });

    // A rate of 1 start per 10 s, and another user's 3 queued jobs: the fair queue puts one of them ahead
    // of this user's next job, which would start in about 20 s.
    await h.db.$executeRaw`
      insert into jobs (id, user_id, preset, prompt, aspect_ratio, width, height, provider, num_images, status,
        started_at, finished_at, updated_at)
      select gen_random_uuid(), ${h.user.id}::uuid, 'illustration', 'past', '1:1', 8, 8, 'local', 1, 'succeeded',
        now() - make_interval(secs => n * 10), now(), now() from generate_series(1, 10) n`;
    const other = await h.makeUser('ahead@darkroom.test');
    for (let i = 0; i < 3; i++) await other.caller.jobs.create({ prompt: `ahead ${i}` });
    const mid = await written();
    // The start rate is cached for 2 s per client; the earlier reads must not answer for this one.
    await new Promise((resolve) => setTimeout(resolve, 2100));

    const error = await refusal(
      h.caller.jobs.create({ prompt: 'too late', startBy: inSeconds(15), rejectIfLate: true }),
    );
    expect(error.code).toBe('CONFLICT');
    expect(error.message).toContain('rejectIfLate');
    expect(error.cause?.details).toMatchObject({ field: 'startBy', reason: 'start_by_unmeetable', position: 1 });
    expect(error.cause?.details?.estimatedWaitSeconds).toBeGreaterThan(15);
    expect(Date.parse(String(error.cause?.details?.predictedStartAt))).toBeGreaterThan(Date.now() + 15_000);
    expect(await written()).toEqual(mid);
    expect(before.jobs).toBeLessThan(mid.jobs);
    // The same without rejectIfLate is accepted (and fails later at its start deadline, as before).
    const accepted = await h.caller.jobs.create({ prompt: 'late but asked', startBy: inSeconds(15) });
    expect(accepted.status).toBe('queued');
    await h.caller.jobs.cancel({ id: accepted.id });
    const after = (await h.db.user.findUniqueOrThrow({ where: { id: h.user.id } })).creditBalance;
    expect(after).toBe(balance);
  });
});

describe('scheduling: with a worker', () => {
  beforeAll(async () => {
    await h.startWorker();
  });

  const balanceOf = async (userId: string) =>
    (await h.db.user.findUniqueOrThrow({ where: { id: userId } })).creditBalance;
  const generateEntries = async (jobId: string) =>
    Number(
      (
        await h.db.$queryRaw<{ n: bigint }[]>`
          select count(*) as n from graphile_worker.jobs where task_identifier = 'generate' and key = ${jobId}`
      )[0]!.n,
    );

  it('starts a scheduled job no earlier than notBefore, then runs it to the end', async () => {
    const notBefore = inSeconds(2.5);
    const job = await h.caller.jobs.create({ prompt: 'at its time', notBefore });
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect((await h.caller.jobs.get({ id: job.id })).status).toBe('queued');
    const done = await eventually(async () => {
      const view = await h.caller.jobs.get({ id: job.id });
      return view.status === 'succeeded' ? view : null;
    });
    expect(Date.parse(done.startedAt!)).toBeGreaterThanOrEqual(Date.parse(notBefore));
  });

  it('cancels a scheduled job before its time: canceled, refunded, its queue entry gone', async () => {
    const before = await balanceOf(h.user.id);
    const job = await h.caller.jobs.create({ prompt: 'never mind', numImages: 3, notBefore: inSeconds(60) });
    expect(await balanceOf(h.user.id)).toBe(before - 3);
    await h.caller.jobs.cancel({ id: job.id });
    const view = await h.caller.jobs.get({ id: job.id });
    expect(view.status).toBe('canceled');
    expect(await balanceOf(h.user.id)).toBe(before);
    expect(await generateEntries(job.id)).toBe(0);
  });

  it('a cancel racing the scheduled start: every job ends once, and credits match what was stored', async () => {
    const racer = await h.makeUser('racer@darkroom.test');
    const before = await balanceOf(racer.user.id);
    const start = Date.now() + 1500;
    // Cancels land from 150 ms before to 150 ms after each job's start time (the worker polls every 200 ms).
    const offsets = [-150, -75, 0, 25, 50, 100, 150];
    const jobs = await Promise.all(
      offsets.map((_, i) =>
        racer.caller.jobs.create({ prompt: `race ${i}`, numImages: 2, notBefore: new Date(start).toISOString() }),
      ),
    );
    await Promise.all(
      jobs.map(async (job, i) => {
        await new Promise((resolve) => setTimeout(resolve, start + offsets[i]! - Date.now()));
        await racer.caller.jobs.cancel({ id: job.id }).catch(() => undefined);
      }),
    );
    const ended = await Promise.all(
      jobs.map((job) =>
        eventually(async () => {
          const view = await racer.caller.jobs.get({ id: job.id });
          return ['succeeded', 'failed', 'canceled'].includes(view.status) ? view : null;
        }),
      ),
    );
    const rows = await h.db.job.findMany({ where: { userId: racer.user.id } });
    let charged = 0;
    for (const row of rows) {
      const view = ended.find((job) => job.id === row.id)!;
      expect(row.creditsReserved).toBe(0);
      expect(row.creditsCharged).toBe(view.counts.succeeded);
      expect(await generateEntries(row.id)).toBe(0);
      const finished = (await racer.caller.jobs.events({ id: row.id })).filter((event) => event.type === 'finished');
      expect(finished).toHaveLength(1);
      charged += row.creditsCharged;
    }
    expect(await balanceOf(racer.user.id)).toBe(before - charged);
    // Most cancels land before the start (poll interval): at least one job was canceled with nothing made.
    expect(ended.some((job) => job.status === 'canceled' && job.counts.succeeded === 0)).toBe(true);
  }, 60_000);
});
