/**
 * The references stage's search of earlier results, against a real Postgres: it looks through a bounded
 * window of the owner's newest finished jobs, and never at anyone else's.
 */
import { randomUUID } from 'node:crypto';
import { createTestDatabase, type TestDatabase } from '@darkroom/db/testing';
import { MAX_REFERENCES_PER_JOB } from '@darkroom/core';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findReferences, RESULT_WINDOW } from './references.js';

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(() => database.drop());

/**
 * Finished jobs of `userId` with one stored image each, finished `minutesAgo` (a value per job), and
 * `queued` more of theirs still waiting.
 */
async function finishedJobs(userId: string, prompt: string, minutesAgo: number[], queued = 0) {
  const jobs = minutesAgo.map((minutes) => ({
    id: randomUUID(),
    userId,
    preset: 'illustration',
    prompt,
    aspectRatio: '1:1',
    width: 256,
    height: 256,
    provider: 'mock',
    numImages: 1,
    status: 'succeeded' as const,
    finishedAt: new Date(Date.now() - minutes * 60_000),
  }));
  await database.db.job.createMany({ data: jobs });
  // Jobs still waiting: the owner's history the window must not read.
  await database.db.job.createMany({
    data: Array.from({ length: queued }, () => ({
      ...jobs[0]!,
      id: randomUUID(),
      status: 'queued' as const,
      finishedAt: null,
    })),
  });
  const images = jobs.map((job) => ({
    id: randomUUID(),
    jobId: job.id,
    index: 0,
    status: 'succeeded' as const,
    storageKey: `${job.id}/0.png`,
    finishedAt: job.finishedAt,
    palette: ['#aa0000'],
  }));
  await database.db.image.createMany({ data: images });
  return images.map((image) => image.id);
}

async function user(email: string) {
  return (await database.db.user.create({ data: { email } })).id;
}

describe('findReferences', () => {
  it("finds the owner's matching results among their newest finished jobs, not in older history", async () => {
    const owner = await user('owner@example.com');
    const [old] = await finishedJobs(owner, 'a red dragon in a garden', [10_000]);
    // A full window of newer jobs on another subject pushes the old one out of reach.
    await finishedJobs(
      owner,
      'a blue whale at sea',
      Array.from({ length: RESULT_WINDOW }, (_, index) => 100 + index),
    );
    const [recent] = await finishedJobs(owner, 'a red dragon asleep', [5]);
    const someoneElse = await finishedJobs(await user('other@example.com'), 'a red dragon flying', [1]);

    const found = await findReferences(database.db, {
      id: randomUUID(),
      userId: owner,
      prompt: 'a red dragon',
      style: null,
    });

    const ids = found.map((reference) => reference.id);
    expect(found.map((reference) => reference.source)).toEqual(['result']);
    expect(ids).toEqual([recent]);
    expect(ids).not.toContain(old);
    expect(ids).not.toContain(someoneElse[0]);
  });

  it("reads only its window of the owner's jobs, even when the statistics are older than the history", async () => {
    const owner = await user('busy@example.com');
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      // Three windows of results and a queue, and no statistics yet: a young database, or a fast-growing
      // account between two runs of autovacuum (kept off here so it stays so). Planned on no statistics,
      // the search as a plain query read every job of the owner (a bitmap scan and a sort: 2,500 rows
      // here) instead of the newest RESULT_WINDOW in order.
      await client.query('alter table jobs set (autovacuum_enabled = off)');
      const minutes = Array.from({ length: RESULT_WINDOW * 3 }, (_, index) => 10 + index);
      await finishedJobs(owner, 'a lighthouse at dusk', minutes, RESULT_WINDOW * 2);

      await client.query('begin');
      const fetched = async () =>
        Number(
          (
            await client.query(
              // Rows of jobs read in this transaction: by bitmap and sequential scans (the table's
              // counters) and by index scans (each index's).
              `select pg_stat_get_xact_tuples_fetched('jobs'::regclass) + pg_stat_get_xact_tuples_returned('jobs'::regclass)
                 + (select sum(pg_stat_get_xact_tuples_fetched(indexrelid)) from pg_index where indrelid = 'jobs'::regclass) as n`,
            )
          ).rows[0].n,
        );
      const before = await fetched();
      const { rows } = await client.query('select id from darkroom_find_references($1, $2, $3, $4, $5)', [
        randomUUID(),
        owner,
        'lighthouse',
        RESULT_WINDOW,
        MAX_REFERENCES_PER_JOB,
      ]);
      const read = (await fetched()) - before;
      await client.query('commit');

      expect(rows).toHaveLength(MAX_REFERENCES_PER_JOB);
      // The window itself, and not the other 2,000 rows of the owner's history and queue.
      expect(read).toBeGreaterThanOrEqual(RESULT_WINDOW);
      expect(read).toBeLessThanOrEqual(RESULT_WINDOW + 1);
    } finally {
      await client.end();
    }
  });
});
