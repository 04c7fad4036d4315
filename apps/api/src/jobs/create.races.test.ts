/**
 * One account's submits racing each other: the accept (lifecycle's acceptJob, one prepared statement over
 * the pool) reserves credits and checks the active-jobs cap under the user's row lock, so however many
 * arrive at once, exactly as many are accepted as the balance or the cap allows, and the balance and
 * ledger come out exact.
 */
import { TRPCError } from '@trpc/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeHarness, type Harness } from '../../test/harness.js';

const CONCURRENT = 32;

let h: Harness;
let capped: Harness;
let limited: Harness;
beforeAll(async () => {
  [h, capped, limited] = await Promise.all([
    makeHarness(),
    makeHarness({ settings: { maxActiveJobsPerUser: 5, submitsPerMinute: 1000 } }),
    makeHarness({ settings: { submitsPerMinute: 9 } }),
  ]);
});
afterAll(() => Promise.all([h.close(), capped.close(), limited.close()]));

async function submitAll(caller: Harness['caller'], prompt: string) {
  const results = await Promise.allSettled(
    Array.from({ length: CONCURRENT }, (_, i) => caller.jobs.create({ prompt: `${prompt} ${i}`, provider: 'mock' })),
  );
  const accepted = results.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  const refused = results.flatMap((result) => (result.status === 'rejected' ? [result.reason as unknown] : []));
  return { accepted, refused };
}

const domainCodeOf = (error: unknown) =>
  error instanceof TRPCError ? (error.cause as { code?: string } | undefined)?.code : undefined;

describe('jobs.create racing on one account', () => {
  it(`accepts exactly as many of ${CONCURRENT} concurrent submits as the credits pay for, to the credit`, async () => {
    const { user, caller } = await h.makeUser('credits-race@darkroom.test');
    const probe = await caller.jobs.create({ prompt: 'price probe', provider: 'mock' });
    const price = probe.credits.price;
    const affordable = 7;
    await h.db.user.update({ where: { id: user.id }, data: { creditBalance: affordable * price } });
    const [last] = await h.db.creditEntry.findMany({ where: { userId: user.id }, orderBy: { id: 'desc' }, take: 1 });

    const { accepted, refused } = await submitAll(caller, 'credits race');

    expect(accepted).toHaveLength(affordable);
    expect(refused).toHaveLength(CONCURRENT - affordable);
    expect(new Set(refused.map(domainCodeOf))).toEqual(new Set(['INSUFFICIENT_CREDITS']));
    const account = await h.db.user.findUniqueOrThrow({ where: { id: user.id } });
    expect(account.creditBalance).toBe(0);
    const entries = await h.db.creditEntry.findMany({
      where: { userId: user.id, id: { gt: last!.id } },
      orderBy: { id: 'asc' },
    });
    // One reservation per accepted job, each balance the one before less the price; none for a refusal.
    expect(entries.map((entry) => [entry.kind, entry.amount, entry.balanceAfter])).toEqual(
      Array.from({ length: affordable }, (_, i) => ['reserve', -price, (affordable - 1 - i) * price]),
    );
    const jobs = await h.db.job.count({ where: { userId: user.id } });
    const [queue] = await h.db.$queryRaw<{ queued: number }[]>`
      select count(*)::int as queued from graphile_worker._private_jobs
      where key in (select id::text from jobs where user_id = ${user.id}::uuid)`;
    expect([jobs, queue?.queued]).toEqual([affordable + 1, affordable + 1]);
    // Every submit spent a point of the per-minute budget, refused ones too (the probe's included).
    const [counter] = await h.db.$queryRaw<{ points: number }[]>`
      select points from rate_limits where key = ${`submits:${user.id}`}`;
    expect(counter?.points).toBe(CONCURRENT + 1);
  });

  it(`accepts exactly up to the active-jobs cap of ${CONCURRENT} concurrent submits, refusing the rest`, async () => {
    const { user, caller } = await capped.makeUser('cap-race@darkroom.test');
    const balanceBefore = (await capped.db.user.findUniqueOrThrow({ where: { id: user.id } })).creditBalance;

    const { accepted, refused } = await submitAll(caller, 'cap race');

    expect(accepted).toHaveLength(5);
    expect(new Set(refused.map(domainCodeOf))).toEqual(new Set(['RATE_LIMITED']));
    expect(await capped.db.job.count({ where: { userId: user.id } })).toBe(5);
    const reserved = accepted.reduce((sum, job) => sum + job.credits.reserved, 0);
    const balanceAfter = (await capped.db.user.findUniqueOrThrow({ where: { id: user.id } })).creditBalance;
    expect(balanceBefore - balanceAfter).toBe(reserved);
    // A refusal leaves no ledger entry behind: only the accepted jobs' reservations remain.
    expect(await capped.db.creditEntry.count({ where: { userId: user.id, kind: 'reserve' } })).toBe(5);
  });

  it(`accepts exactly the per-minute submit budget of ${CONCURRENT} concurrent submits, counted in the accept`, async () => {
    const { user, caller } = await limited.makeUser('rate-race@darkroom.test');

    const { accepted, refused } = await submitAll(caller, 'rate race');

    expect(accepted).toHaveLength(9);
    expect(new Set(refused.map(domainCodeOf))).toEqual(new Set(['RATE_LIMITED']));
    const details = refused.map((error) => ((error as TRPCError).cause as { details?: unknown }).details);
    for (const detail of details) expect(detail).toMatchObject({ retryAfterSeconds: expect.any(Number) });
    expect((refused[0] as TRPCError).message).toMatch(/^more than 9 jobs submitted in a minute; try again in \d+ s$/);
    expect(await limited.db.job.count({ where: { userId: user.id } })).toBe(9);
    // The counter is rate-limiter-flexible's row: a batch counted through the library shares the budget.
    const [counter] = await limited.db.$queryRaw<{ points: number }[]>`
      select points from rate_limits where key = ${`submits:${user.id}`}`;
    expect(counter?.points).toBe(9);
    const batch = await caller.jobs
      .createBatch({ requests: [{ prompt: 'one more', provider: 'mock' }] })
      .catch((error: unknown) => error);
    expect(domainCodeOf(batch)).toBe('RATE_LIMITED');
  });
});
