/**
 * Queue positions from checkpoints, against a real Postgres: the same answers as a full count while
 * the queue holds still, off by no more than what changed since the checkpoints were taken, exact for
 * the head of the queue and inside transactions, and exact again after the next refresh.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Job } from './generated/prisma/client.js';
import { queuePlacesOf, queuePositionOf } from './job-views.js';
import { queueCheckpointSettings, queueCheckpointsSettled } from './queue-checkpoints.js';
import { createTestDatabase, type TestDatabase } from './testing/index.js';

let database: TestDatabase;
const saved = { ...queueCheckpointSettings };
beforeAll(async () => {
  database = await createTestDatabase();
  Object.assign(queueCheckpointSettings, { step: 5, refreshAfterMs: 3_600_000, maxAgeMs: 3_600_000 });
});
afterAll(async () => {
  Object.assign(queueCheckpointSettings, saved);
  await database.drop();
});

describe('queue positions from checkpoints', () => {
  it('match a full count, stay within the churn since the checkpoints, and catch up on refresh', async () => {
    const { db } = database;
    const userId = (await db.user.create({ data: { email: 'queue@example.com' } })).id;
    const base = Date.now() - 60_000;
    // 23 queued jobs in a known order: checkpoints (every 5th after the first 5) at places 5, 10, 15, 20.
    const jobs: Job[] = [];
    for (let index = 0; index < 23; index++) {
      jobs.push(
        await db.job.create({
          data: {
            userId,
            preset: 'illustration',
            prompt: `job ${index}`,
            aspectRatio: '1:1',
            width: 8,
            height: 8,
            provider: 'mock',
            numImages: 1,
            queueRank: 1000 + index,
            createdAt: new Date(base + index),
          },
        }),
      );
    }
    // No checkpoints yet: counted from the head (exact), and the first refresh starts.
    expect(await queuePositionOf(db, jobs[17]!)).toBe(17);
    await queueCheckpointsSettled(db);

    // From the checkpoints: every place, on a checkpoint, between two, before the first, after the last.
    const one = await Promise.all(jobs.map((job) => queuePositionOf(db, job)));
    expect(one).toEqual(jobs.map((_, index) => index));
    const page = await queuePlacesOf(db, jobs.slice(12, 23));
    expect(jobs.slice(12, 23).map((job) => page.get(job.id)!.position)).toEqual(
      jobs.slice(12, 23).map((_, index) => 12 + index),
    );

    // Two jobs at the head start; the checkpoints do not know yet.
    await db.job.updateMany({
      where: { id: { in: [jobs[0]!.id, jobs[1]!.id] } },
      data: { status: 'running', startedAt: new Date() },
    });
    // The answer is as of the checkpoints for the part before the nearest one (place 15, job 15): the
    // two that left are still counted there, so it is off by exactly the churn since.
    expect(await queuePositionOf(db, jobs[17]!)).toBe(17);
    // Within the first step the count is always exact, and so is any count inside a transaction.
    expect(await queuePositionOf(db, jobs[3]!)).toBe(1);
    expect(await db.$transaction((tx) => queuePositionOf(tx, jobs[17]!))).toBe(15);

    // The next refresh sees the change: exact again.
    queueCheckpointSettings.refreshAfterMs = 0;
    await queuePositionOf(db, jobs[17]!);
    await queueCheckpointsSettled(db);
    queueCheckpointSettings.refreshAfterMs = 3_600_000;
    expect(await queuePositionOf(db, jobs[17]!)).toBe(15);
    expect(await Promise.all(jobs.slice(2).map((job) => queuePositionOf(db, job)))).toEqual(
      jobs.slice(2).map((_, index) => index),
    );
  });
});
