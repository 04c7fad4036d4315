/**
 * Retention with image inputs: a job's input files go with it, except a file another job still takes
 * as an input (a varied result) or an asset still names; those go with the last of them.
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createTestDatabase, type TestDatabase } from '@darkroom/db/testing';
import { createFilesystemStorage } from '@darkroom/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deleteExpired } from './retention.js';

let database: TestDatabase;
let userId: string;
const storage = createFilesystemStorage({ root: mkdtempSync(path.join(os.tmpdir(), 'darkroom-retention-inputs-')) });
beforeAll(async () => {
  database = await createTestDatabase();
  userId = (await database.db.user.create({ data: { email: 'retention-inputs@example.com' } })).id;
});
afterAll(() => database.drop());

const DAY = 86_400_000;
async function file(key: string) {
  await storage.put(key, Buffer.from(key), key.endsWith('.webp') ? 'image/webp' : 'image/png');
  return key;
}
const exists = async (key: string) => (await storage.stat(key)) !== null;

/** A succeeded job that ended `daysAgo` days ago, with one stored image and the given inputs. */
async function job(daysAgo: number, inputs: { storageKey: string; thumbnailKey?: string; assetId?: string }[] = []) {
  const at = new Date(Date.now() - daysAgo * DAY);
  const row = await database.db.job.create({
    data: {
      userId,
      preset: 'illustration',
      prompt: 'p',
      aspectRatio: '1:1',
      width: 8,
      height: 8,
      provider: 'local',
      numImages: 1,
      status: 'succeeded',
      kind: inputs.length ? 'image-to-image' : 'text-to-image',
      createdAt: at,
      finishedAt: at,
    },
  });
  const imageKey = await file(`jobs/${row.id}/0-1.png`);
  const thumbKey = await file(`jobs/${row.id}/0-1.thumb.webp`);
  const image = await database.db.image.create({
    data: {
      jobId: row.id,
      index: 0,
      status: 'succeeded',
      storageKey: imageKey,
      thumbnailKey: thumbKey,
      finishedAt: at,
    },
  });
  for (const [position, input] of inputs.entries())
    await database.db.jobInput.create({
      data: {
        jobId: row.id,
        slot: position === 0 ? 'image' : 'reference',
        position: position === 0 ? 0 : position - 1,
        storageKey: input.storageKey,
        thumbnailKey: input.thumbnailKey ?? null,
        assetId: input.assetId ?? null,
        mime: 'image/png',
        width: 8,
        height: 8,
      },
    });
  return { id: row.id, image: image.id, imageKey, thumbKey };
}

describe('retention and inputs', () => {
  it('keeps a result file a newer job takes as its input, and deletes it with that job', async () => {
    const parent = await job(40);
    const child = await job(1, [{ storageKey: parent.imageKey, thumbnailKey: parent.thumbKey }]);

    await deleteExpired({ db: database.db, storage, days: 30 });
    expect(await database.db.job.count({ where: { id: parent.id } })).toBe(0);
    expect([await exists(parent.imageKey), await exists(parent.thumbKey)]).toEqual([true, true]);

    await database.db.job.update({ where: { id: child.id }, data: { finishedAt: new Date(Date.now() - 40 * DAY) } });
    await deleteExpired({ db: database.db, storage, days: 30 });
    expect([await exists(parent.imageKey), await exists(parent.thumbKey), await exists(child.imageKey)]).toEqual([
      false,
      false,
      false,
    ]);
  });

  it("keeps an asset's file while the asset exists, and deletes a detached asset's copy with its last job", async () => {
    const assetKey = await file(`assets/${userId}/kept.png`);
    const asset = await database.db.reference.create({
      data: { userId, storageKey: assetKey, mime: 'image/png', width: 8, height: 8, bytes: 8, tags: [], palette: [] },
    });
    const detachedKey = await file(`assets/${userId}/deleted.png`);
    await job(40, [{ storageKey: assetKey, assetId: asset.id }, { storageKey: detachedKey }]);

    await deleteExpired({ db: database.db, storage, days: 30 });
    expect([await exists(assetKey), await exists(detachedKey)]).toEqual([true, false]);
  });
});
