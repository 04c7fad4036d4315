/**
 * The orphan collector and image inputs: a result file another job takes as its input outlives its own
 * job, and asset files go once neither an asset row nor a job input names them (a deleted account).
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createTestDatabase, type TestDatabase } from '@darkroom/db/testing';
import { createFilesystemStorage } from '@darkroom/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectAssetOrphanPage, collectOrphanPage } from './orphans.js';

let database: TestDatabase;
let userId: string;
const storage = createFilesystemStorage({ root: mkdtempSync(path.join(os.tmpdir(), 'darkroom-orphans-inputs-')) });
beforeAll(async () => {
  database = await createTestDatabase();
  userId = (await database.db.user.create({ data: { email: 'orphans-inputs@example.com' } })).id;
});
afterAll(() => database.drop());

const put = async (key: string) => {
  await storage.put(key, Buffer.from(key), key.endsWith('.webp') ? 'image/webp' : 'image/png');
  return key;
};
const exists = async (key: string) => (await storage.stat(key)) !== null;

/** A finished job whose one input names `key` (a copied storage key). */
async function jobUsing(key: string) {
  const job = await database.db.job.create({
    data: {
      userId,
      preset: 'illustration',
      prompt: 'p',
      aspectRatio: '1:1',
      width: 8,
      height: 8,
      provider: 'local',
      numImages: 1,
      kind: 'image-to-image',
      status: 'failed',
      finishedAt: new Date(),
    },
  });
  await database.db.jobInput.create({
    data: { jobId: job.id, slot: 'image', position: 0, storageKey: key, mime: 'image/png', width: 8, height: 8 },
  });
}

describe('orphans and inputs', () => {
  it("keeps a gone job's result file while another job names it as an input", async () => {
    const goneJob = randomUUID();
    const used = await put(`jobs/${goneJob}/0-1.png`);
    const unused = await put(`jobs/${goneJob}/1-1.png`);
    await jobUsing(used);
    await collectOrphanPage({ db: database.db, storage, graceMs: 0, pageSize: 1000 });
    expect([await exists(used), await exists(unused)]).toEqual([true, false]);
  });

  it('deletes asset files no asset row and no job input names, and keeps the others', async () => {
    const kept = await put(`assets/${userId}/kept.png`);
    const keptThumb = await put(`assets/${userId}/kept.thumb.webp`);
    await database.db.reference.create({
      data: {
        userId,
        storageKey: kept,
        thumbnailKey: keptThumb,
        mime: 'image/png',
        width: 8,
        height: 8,
        bytes: 8,
        tags: [],
        palette: [],
      },
    });
    const detached = await put(`assets/${userId}/detached.png`);
    await jobUsing(detached);
    const deletedAccount = await put(`assets/${randomUUID()}/gone.png`);
    const orphan = await put(`assets/${userId}/orphan.png`);

    const young = await collectAssetOrphanPage({ db: database.db, storage, graceMs: 60_000, pageSize: 1000 });
    expect(young.deleted).toEqual([]);
    const sweep = await collectAssetOrphanPage({ db: database.db, storage, graceMs: 0, pageSize: 1000 });
    expect(sweep.deleted.sort()).toEqual([deletedAccount, orphan].sort());
    expect([await exists(kept), await exists(keptThumb), await exists(detached)]).toEqual([true, true, true]);
  });
});
