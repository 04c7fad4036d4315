import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createTestDatabase, type TestDatabase } from '@darkroom/db/testing';
import { createFilesystemStorage, imageKey, thumbnailKey } from '@darkroom/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deleteExpired } from './retention.js';

let database: TestDatabase;
let userId: string;
const storage = createFilesystemStorage({ root: mkdtempSync(path.join(os.tmpdir(), 'darkroom-retention-test-')) });
beforeAll(async () => {
  database = await createTestDatabase();
  userId = (await database.db.user.create({ data: { email: 'retention@example.com' } })).id;
});
afterAll(() => database.drop());

/** A job with one stored image, in `status`, that ended `daysAgo` days ago (null: still going). */
async function jobEnded(status: 'succeeded' | 'failed' | 'canceled' | 'queued' | 'running', daysAgo: number | null) {
  const at = daysAgo === null ? null : new Date(Date.now() - daysAgo * 86_400_000);
  const job = await database.db.job.create({
    data: {
      userId,
      preset: 'illustration',
      prompt: 'kept or not',
      aspectRatio: '1:1',
      width: 8,
      height: 8,
      provider: 'local',
      numImages: 1,
      status,
      createdAt: at ?? new Date(Date.now() - 90 * 86_400_000),
      finishedAt: status === 'queued' || status === 'running' ? null : at,
      startedAt: status === 'running' ? new Date() : null,
    },
  });
  const key = imageKey(job.id, 0, 'png', 1);
  const thumb = thumbnailKey(job.id, 0, 1);
  await storage.put(key, Buffer.from('png bytes'), 'image/png');
  await storage.put(thumb, Buffer.from('webp bytes'), 'image/webp');
  await database.db.image.create({
    data: {
      jobId: job.id,
      index: 0,
      status: 'succeeded',
      storageKey: key,
      thumbnailKey: thumb,
      finishedAt: at ?? new Date(),
    },
  });
  await database.db.jobEvent.create({ data: { jobId: job.id, type: 'finished' } });
  await database.db.creditEntry.create({
    data: { userId, jobId: job.id, kind: 'reserve', amount: -1, balanceAfter: 0 },
  });
  return { id: job.id, key, thumb };
}

describe('retention', () => {
  it('deletes jobs that ended before the cutoff with their events, images and files, and nothing else', async () => {
    const old = await Promise.all((['succeeded', 'failed', 'canceled'] as const).map((status) => jobEnded(status, 40)));
    const recent = await jobEnded('succeeded', 10);
    const stillQueued = await jobEnded('queued', null);
    const stillRunning = await jobEnded('running', null);
    const ledgerBefore = await database.db.creditEntry.aggregate({ _sum: { amount: true }, _count: true });

    const removed = await deleteExpired({ db: database.db, storage, days: 30 });

    expect(removed).toEqual({ jobs: 3, files: 6, failed: 0 });
    const left = await database.db.job.findMany({ select: { id: true } });
    expect(left.map((job) => job.id).sort()).toEqual([recent.id, stillQueued.id, stillRunning.id].sort());
    for (const job of old) {
      expect(await storage.stat(job.key)).toBeNull();
      expect(await storage.stat(job.thumb)).toBeNull();
      expect(await database.db.jobEvent.count({ where: { jobId: job.id } })).toBe(0);
      expect(await database.db.image.count({ where: { jobId: job.id } })).toBe(0);
    }
    for (const job of [recent, stillQueued, stillRunning]) {
      expect(await storage.stat(job.key)).not.toBeNull();
      expect(await storage.stat(job.thumb)).not.toBeNull();
    }
    // The ledger keeps every entry: balances do not change when history goes.
    expect(await database.db.creditEntry.aggregate({ _sum: { amount: true }, _count: true })).toEqual(ledgerBefore);
    expect(await deleteExpired({ db: database.db, storage, days: 30 })).toEqual({ jobs: 0, files: 0, failed: 0 });
  });
});
