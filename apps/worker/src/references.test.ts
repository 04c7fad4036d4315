/**
 * The references stage's search of earlier results, against a real Postgres: it looks through a bounded
 * window of the owner's newest finished jobs, and never at anyone else's.
 */
import { randomUUID } from 'node:crypto';
import { createTestDatabase, type TestDatabase } from '@darkroom/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findReferences, RESULT_WINDOW } from './references.js';

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(() => database.drop());

/** Finished jobs of `userId` with one stored image each, finished `minutesAgo` (a value per job). */
async function finishedJobs(userId: string, prompt: string, minutesAgo: number[]) {
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
});
