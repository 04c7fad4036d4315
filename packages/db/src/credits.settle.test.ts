/**
 * Settling a job's held credits writes both balances and the ledger in one statement: the entries must
 * read as they did when they were written one by one (charge, then refund; each with its balance).
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ledgerViolations, settleJobCredits } from './credits.js';
import { createTestDatabase, type TestDatabase } from './testing/index.js';

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(() => database.drop());

async function heldJob(email: string, statuses: ('succeeded' | 'failed')[], owner?: { id: string }) {
  const { db } = database;
  // The balance after holding 10 per image, as accept leaves it (the hold is its own ledger entry).
  const user = owner
    ? await db.user.update({ where: { id: owner.id }, data: { creditBalance: { decrement: 10 * statuses.length } } })
    : await db.user.create({ data: { email, creditBalance: 100 - 10 * statuses.length } });
  if (!owner)
    await db.creditEntry.create({
      data: { userId: user.id, kind: 'grant', amount: 100, balanceAfter: 100, note: 'start' },
    });
  const job = await db.job.create({
    data: {
      userId: user.id,
      preset: 'illustration',
      prompt: 'settle me',
      aspectRatio: '1:1',
      width: 256,
      height: 256,
      provider: 'local',
      numImages: statuses.length,
      creditPrice: 10,
      creditsReserved: 10 * statuses.length,
      images: {
        create: statuses.map((status, index) => ({
          index,
          status,
          finishedAt: new Date(),
          ...(status === 'succeeded' ? { storageKey: `settle/${index}.png` } : {}),
        })),
      },
    },
  });
  await db.creditEntry.create({
    data: {
      userId: user.id,
      jobId: job.id,
      kind: 'reserve',
      amount: -10 * statuses.length,
      balanceAfter: user.creditBalance,
      note: 'held',
    },
  });
  return { user, job };
}

describe('settleJobCredits', () => {
  it('charges the stored images and refunds the rest, charge entry first, each with its balance after', async () => {
    const { db } = database;
    const { user, job } = await heldJob('partial@example.com', ['succeeded', 'failed', 'failed']);
    const settled = await db.$transaction((tx) => settleJobCredits(tx, job.id));
    expect(settled).toEqual({ charged: 10, refunded: 20 });
    const entries = await db.creditEntry.findMany({
      where: { jobId: job.id, kind: { in: ['charge', 'refund'] } },
      orderBy: { id: 'asc' },
    });
    expect(entries.map(({ kind, amount, balanceAfter, note }) => ({ kind, amount, balanceAfter, note }))).toEqual([
      { kind: 'charge', amount: 0, balanceAfter: 70, note: '10 credits spent on 1 image' },
      { kind: 'refund', amount: 20, balanceAfter: 90, note: 'credits held for images not produced' },
    ]);
    expect((await db.user.findUniqueOrThrow({ where: { id: user.id } })).creditBalance).toBe(90);
    const after = await db.job.findUniqueOrThrow({ where: { id: job.id } });
    expect([after.creditsReserved, after.creditsCharged]).toEqual([0, 10]);
    expect(await ledgerViolations(db)).toEqual([]);
    // Again: nothing is held any more, nothing is written.
    expect(await db.$transaction((tx) => settleJobCredits(tx, job.id))).toEqual({ charged: 0, refunded: 0 });
    expect(await db.creditEntry.count({ where: { jobId: job.id } })).toBe(3);
  });

  it('writes only the charge when every image was stored, and only the refund when none was', async () => {
    const { db } = database;
    const all = await heldJob('all@example.com', ['succeeded', 'succeeded']);
    const none = await heldJob('none@example.com', ['failed']);
    await db.$transaction((tx) => settleJobCredits(tx, all.job.id));
    await db.$transaction((tx) => settleJobCredits(tx, none.job.id));
    const kinds = async (jobId: string) =>
      (await db.creditEntry.findMany({ where: { jobId }, orderBy: { id: 'asc' } })).map(({ kind, balanceAfter }) => [
        kind,
        balanceAfter,
      ]);
    expect(await kinds(all.job.id)).toEqual([
      ['reserve', 80],
      ['charge', 80],
    ]);
    expect(await kinds(none.job.id)).toEqual([
      ['reserve', 90],
      ['refund', 100],
    ]);
  });

  it("settles an owner's fully made jobs side by side; one that refunds waits for them", async () => {
    const { db } = database;
    const first = await heldJob('busy@example.com', ['succeeded']);
    const second = await heldJob('', ['succeeded', 'succeeded'], first.user);
    const refunding = await heldJob('', ['failed'], first.user);
    const connect = () => new pg.Client({ connectionString: database.url });
    const [a, b, c] = [connect(), connect(), connect()];
    await Promise.all([a, b, c].map((client) => client.connect()));
    try {
      for (const client of [a, b, c]) await client.query(`begin; set local lock_timeout = '2s'`);
      await a.query('select * from darkroom_settle_credits($1)', [first.job.id]);
      // Nothing refunded: the owner's balance is read, not written, so the second need not wait for the
      // first's commit (it did: each held the owner's row until its job's end committed).
      await b.query('select * from darkroom_settle_credits($1)', [second.job.id]);
      // A refund writes the balance: it waits for both, and gives up here after its lock timeout.
      await expect(c.query('select * from darkroom_settle_credits($1)', [refunding.job.id])).rejects.toMatchObject({
        code: '55P03',
      });
      await c.query('rollback');
      await a.query('commit');
      await b.query('commit');
    } finally {
      await Promise.all([a, b, c].map((client) => client.end()));
    }
    await db.$transaction((tx) => settleJobCredits(tx, refunding.job.id));
    // 100 - 10 - 20 - 10 held; 10 back for the failed image; every entry's balance in order.
    expect((await db.user.findUniqueOrThrow({ where: { id: first.user.id } })).creditBalance).toBe(70);
    expect(await ledgerViolations(db)).toEqual([]);
  });
});
