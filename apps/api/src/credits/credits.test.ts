import { failExpiredStarts } from '@darkroom/worker';
import type { TRPCError } from '@trpc/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, makeHarness, type Harness } from '../../test/harness.js';
import { ledgerViolations, makeJobRunner } from '../../test/ledger.js';

let h: Harness;
let run: ReturnType<typeof makeJobRunner>;
beforeAll(async () => {
  // Ten credits each; mock images cost 1 (3 at high quality), local ones 2.
  h = await makeHarness({ settings: { startingCredits: 10, prices: { mock: 1, local: 2, 'mock/high': 3 } } });
  run = makeJobRunner({ db: h.db, storage: h.storage, failures: { content_filtered: 0.5 } });
});
afterAll(() => h.close());

const balanceOf = async (caller: Harness['caller']) => (await caller.credits.get()).balance;

describe('reserving at submit', () => {
  it('under 50 concurrent submits over real HTTP with credit for exactly 10, accepts exactly 10 and ends at 0', async () => {
    const racer = await h.makeUser('racer@example.com');
    const server = await h.server();
    const url = await server.listen({ host: '127.0.0.1', port: 0 });

    const answers = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        fetch(`${url}/trpc/jobs.create`, {
          method: 'POST',
          headers: { ...racer.headers, 'content-type': 'application/json' },
          body: JSON.stringify({ prompt: `race ${i}`, provider: 'mock' }),
        }).then(async (response) => ({
          status: response.status,
          body: (await response.json()) as { error?: { data: { domainCode: string } } },
        })),
      ),
    );

    expect(answers.filter((answer) => answer.status === 200)).toHaveLength(10);
    const refused = answers.filter((answer) => answer.status !== 200);
    expect(refused).toHaveLength(40);
    expect(new Set(refused.map((answer) => [answer.status, answer.body.error?.data.domainCode].join(' ')))).toEqual(
      new Set(['402 INSUFFICIENT_CREDITS']),
    );
    expect(await balanceOf(racer.caller)).toBe(0);
    expect(await h.db.job.count({ where: { userId: racer.user.id } })).toBe(10);
    expect(await ledgerViolations(h.db)).toEqual([]);
  });

  it('refuses a job it cannot pay for with INSUFFICIENT_CREDITS naming balance and cost, changing nothing', async () => {
    const short = await h.makeUser('short@example.com');
    await short.caller.jobs.create({ prompt: 'four local images', numImages: 4 });
    const jobsBefore = await h.db.job.count();

    const error = (await short.caller.jobs
      .create({ prompt: 'one more', numImages: 2 })
      .catch((e: unknown) => e)) as TRPCError;

    expect(error.code).toBe('PAYMENT_REQUIRED');
    expect(error.message).toBe('this needs 4 credits and the balance is 2');
    expect((error.cause as { details?: unknown }).details).toEqual({ balance: 2, cost: 4 });
    expect([await balanceOf(short.caller), await h.db.job.count()]).toEqual([2, jobsBefore]);
  });

  it('charges an idempotent repeat once', async () => {
    const repeat = await h.makeUser('repeat@example.com');
    const first = await repeat.caller.jobs.create({
      prompt: 'once',
      provider: 'mock',
      numImages: 3,
      idempotencyKey: 'k1',
    });
    const again = await repeat.caller.jobs.create({
      prompt: 'once',
      provider: 'mock',
      numImages: 3,
      idempotencyKey: 'k1',
    });
    expect(again.id).toBe(first.id);
    expect(await balanceOf(repeat.caller)).toBe(7);
  });

  it('prices by provider and quality: a listed provider/quality wins, else the provider, in single submits and batches', async () => {
    const picky = await h.makeUser('picky@example.com');
    const high = await picky.caller.jobs.create({ prompt: 'a final', provider: 'mock', quality: 'high', numImages: 2 });
    const low = await picky.caller.jobs.create({ prompt: 'a draft', provider: 'mock', quality: 'low' });
    const reserved = async (id: string) => (await h.db.job.findUniqueOrThrow({ where: { id } })).creditsReserved;
    expect([high.quality, await reserved(high.id), low.quality, await reserved(low.id)]).toEqual(['high', 6, 'low', 1]);
    expect(await balanceOf(picky.caller)).toBe(3);

    const error = (await picky.caller.jobs
      .createBatch({
        requests: [
          { prompt: 'x', provider: 'mock' },
          { prompt: 'y', provider: 'mock', quality: 'high' },
        ],
      })
      .catch((e: unknown) => e)) as TRPCError;
    expect(error.message).toBe('this batch needs 4 credits and the balance is 3');
    const batch = await picky.caller.jobs.createBatch({
      requests: [{ prompt: 'y', provider: 'mock', quality: 'high' }],
    });
    expect([batch.jobs[0]!.quality, await reserved(batch.jobs[0]!.id)]).toEqual(['high', 3]);
    expect(await balanceOf(picky.caller)).toBe(0);
    const bad = (await picky.caller.jobs
      .create({ prompt: 'z', provider: 'mock', quality: 'ultra' as 'high' })
      .catch((e: unknown) => e)) as TRPCError;
    expect([bad.code, (bad.cause as { issues?: { path: string[] }[] } | undefined)?.issues?.[0]?.path]).toEqual([
      'BAD_REQUEST',
      ['quality'],
    ]);
  });

  it('reserves a batch all or nothing', async () => {
    const batcher = await h.makeUser('batcher@example.com');
    const tooDear = {
      requests: [
        { prompt: 'a', provider: 'mock' as const, numImages: 4 },
        { prompt: 'b', provider: 'mock' as const, numImages: 4 },
        { prompt: 'c', provider: 'mock' as const, numImages: 4 },
      ],
    };
    const error = (await batcher.caller.jobs.createBatch(tooDear).catch((e: unknown) => e)) as TRPCError;
    expect([error.code, error.message]).toEqual([
      'PAYMENT_REQUIRED',
      'this batch needs 12 credits and the balance is 10',
    ]);
    expect(await h.db.job.count({ where: { userId: batcher.user.id } })).toBe(0);

    const batch = await batcher.caller.jobs.createBatch({ requests: tooDear.requests.slice(0, 2) });
    expect(batch.jobs).toHaveLength(2);
    expect(await balanceOf(batcher.caller)).toBe(2);
  });
});

describe('charging and refunding when a job ends', () => {
  it('keeps ledger sum == balance and charges only stored images after succeeded, partial, failed and canceled jobs', async () => {
    const mixed = await h.makeUser('mixed@example.com');
    await h.admin.caller.credits.grant({ email: 'mixed@example.com', amount: 100, note: 'for the mixed run' });
    const jobs = [];
    // The mock refuses half of all images, by a seeded draw: four-image jobs come out whole or partial,
    // one-image jobs whole or failed.
    for (let seed = 1; seed <= 12; seed++) {
      jobs.push(
        await mixed.caller.jobs.create({
          prompt: `mixed ${seed}`,
          provider: 'mock',
          numImages: seed <= 8 ? 4 : 1,
          seed,
        }),
      );
    }
    const canceled = await mixed.caller.jobs.create({ prompt: 'changed my mind', provider: 'mock', numImages: 4 });
    await mixed.caller.jobs.cancel({ id: canceled.id });
    for (const job of jobs) await run(job.id);

    const views = await Promise.all(jobs.map((job) => mixed.caller.jobs.get({ id: job.id })));
    const kinds = new Set(
      views.map((view) =>
        view.status === 'failed' ? 'failed' : view.counts.succeeded === view.numImages ? 'succeeded' : 'partial',
      ),
    );
    expect(kinds).toEqual(new Set(['succeeded', 'partial', 'failed']));
    const stored = views.reduce((sum, view) => sum + view.counts.succeeded, 0);
    expect(await balanceOf(mixed.caller)).toBe(110 - stored);
    expect(await ledgerViolations(h.db)).toEqual([]);
    const entries = (await mixed.caller.credits.get({ limit: 500 })).entries;
    expect(entries.filter((entry) => entry.jobId === canceled.id).map((entry) => [entry.kind, entry.amount])).toEqual([
      ['refund', 4],
      ['reserve', -4],
    ]);
  });

  it('reserves again on retry for the missing images only, and charges only what the retry stores', async () => {
    const retrier = await h.makeUser('retrier@example.com');
    const partial = await retrier.caller.jobs.create({ prompt: 'mixed 3', provider: 'mock', numImages: 4, seed: 3 });
    await run(partial.id);
    const first = await retrier.caller.jobs.get({ id: partial.id });
    const missing = first.numImages - first.counts.succeeded;
    expect(missing).toBeGreaterThan(0);
    const afterFirst = await balanceOf(retrier.caller);

    await retrier.caller.jobs.retry({ id: partial.id });
    expect(await balanceOf(retrier.caller)).toBe(afterFirst - missing);
    await run(partial.id);

    const second = await retrier.caller.jobs.get({ id: partial.id });
    expect(await balanceOf(retrier.caller)).toBe(10 - second.counts.succeeded);
    expect(await ledgerViolations(h.db)).toEqual([]);
  });

  it('refunds a job that fails its start deadline, in the same transaction as the failure', async () => {
    const late = await h.makeUser('late@example.com');
    const job = await late.caller.jobs.create({
      prompt: 'too late',
      provider: 'mock',
      numImages: 3,
      startBy: new Date(Date.now() + 60_000).toISOString(),
    });
    expect(await balanceOf(late.caller)).toBe(7);
    await h.db.job.update({ where: { id: job.id }, data: { startBy: new Date(Date.now() - 1000) } });

    expect(await failExpiredStarts(h.db)).toContain(job.id);
    const [view, balance] = await Promise.all([late.caller.jobs.get({ id: job.id }), balanceOf(late.caller)]);
    expect([view.status, view.error?.code, balance]).toEqual(['failed', 'start_deadline_exceeded', 10]);
    expect(await ledgerViolations(h.db)).toEqual([]);
  });
});

describe('a job that can never run', () => {
  it('refunds a job whose queue payload is malformed, in the same transaction as its failure', async () => {
    const unlucky = await h.makeUser('unlucky@example.com');
    const job = await unlucky.caller.jobs.create({ prompt: 'garbled', provider: 'mock', numImages: 4 });
    // The queue entry is replaced by one this version cannot read.
    await h.db.$executeRaw`select graphile_worker.remove_job(${job.id}::text)`;
    await h.db
      .$executeRaw`select graphile_worker.add_job('generate', json_build_object('jobId', ${job.id}::text, 'extra', 1))`;
    expect(await balanceOf(unlucky.caller)).toBe(6);

    const worker = await h.startWorker({ WORKER_ID: 'payload-reader' });
    try {
      const failed = await eventually(async () => {
        const view = await unlucky.caller.jobs.get({ id: job.id });
        return view.status === 'failed' ? view : null;
      });
      expect(failed.error?.code).toBe('invalid_payload');
      expect(await balanceOf(unlucky.caller)).toBe(10);
      expect(await ledgerViolations(h.db)).toEqual([]);
    } finally {
      await worker.stop();
    }
  });
});

describe('admin grants', () => {
  it('add credits with a ledger entry naming the admin', async () => {
    const granted = await h.admin.caller.credits.grant({ email: 'owner@darkroom.test', amount: 5, note: 'thanks' });
    expect(granted.balance).toBe(await balanceOf(h.caller));
    const entry = (await h.caller.credits.get()).entries[0]!;
    expect([entry.kind, entry.amount, entry.note]).toEqual(['grant', 5, 'thanks (by admin@darkroom.test)']);
  });

  it.each([
    ['a negative grant beyond the balance', { email: 'owner@darkroom.test', amount: -1_000 }, 'BAD_REQUEST'],
    ['a huge grant', { email: 'owner@darkroom.test', amount: 1_000_000_000 }, 'BAD_REQUEST'],
    ['a grant of 0', { email: 'owner@darkroom.test', amount: 0 }, 'BAD_REQUEST'],
    ['a fractional grant', { email: 'owner@darkroom.test', amount: 1.5 }, 'BAD_REQUEST'],
    ['a grant to nobody', { email: 'nobody@darkroom.test', amount: 5 }, 'NOT_FOUND'],
  ])('refuse %s with a typed error, changing nothing', async (_name, input, code) => {
    const before = [await balanceOf(h.caller), await h.db.creditEntry.count()];
    const error = (await h.admin.caller.credits.grant(input).catch((e: unknown) => e)) as TRPCError;
    expect(error.code).toBe(code);
    expect([await balanceOf(h.caller), await h.db.creditEntry.count()]).toEqual(before);
  });
});
