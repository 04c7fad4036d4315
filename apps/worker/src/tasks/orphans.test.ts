/**
 * Orphaned files (F22) against real files (a directory, and an S3-compatible server) and a real
 * Postgres: what the collector takes, what it must never take, and a run storing images while it works.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, utimesSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createTestDatabase, type TestDatabase } from '@darkroom/db/testing';
import { createLocalProvider } from '@darkroom/providers';
import { createFilesystemStorage, createS3Storage, type ImageStorage } from '@darkroom/storage';
import { pino } from 'pino';
import S3rver from 's3rver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runJob } from '../pipeline.js';
import { makeMaintenanceTask } from './maintenance.js';
import { collectOrphanPage, collectOrphans } from './orphans.js';
import { deleteExpired } from './retention.js';

let database: TestDatabase;
let userId: string;
let s3: S3rver;
const dir = mkdtempSync(path.join(os.tmpdir(), 'darkroom-orphans-'));
const stores: Record<'filesystem' | 's3', ImageStorage> = {
  filesystem: createFilesystemStorage({ root: dir }),
  s3: undefined as unknown as ImageStorage,
};
const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const log = pino({ level: 'silent' });

beforeAll(async () => {
  database = await createTestDatabase();
  userId = (await database.db.user.create({ data: { email: 'orphans@example.com', creditBalance: 1000 } })).id;
  s3 = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory: mkdtempSync(path.join(os.tmpdir(), 'darkroom-orphans-s3-')),
    configureBuckets: [{ name: 'orphans', configs: [] }],
  });
  const { port } = (await s3.run()) as AddressInfo;
  stores.s3 = createS3Storage({
    bucket: 'orphans',
    endpoint: `http://127.0.0.1:${port}`,
    forcePathStyle: true,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
  });
});
afterAll(async () => {
  await stores.s3?.close?.();
  await s3?.close();
  await database.drop();
});

async function job(status: 'queued' | 'running' | 'succeeded', attempts: number, extra: { finishedAt?: Date } = {}) {
  return database.db.job.create({
    data: {
      userId,
      preset: 'illustration',
      prompt: 'orphans',
      aspectRatio: '1:1',
      width: 256,
      height: 256,
      provider: 'local',
      numImages: 2,
      status,
      attempts,
      ...(status === 'running' ? { startedAt: new Date() } : {}),
      ...(status === 'succeeded' ? { startedAt: new Date(), finishedAt: extra.finishedAt ?? new Date() } : {}),
      images: { create: [{ index: 0 }, { index: 1 }] },
    },
  });
}

const put = (storage: ImageStorage, key: string) =>
  storage.put(key, png, key.endsWith('.webp') ? 'image/webp' : 'image/png');

/** Every key under jobs/ of one job, in order. */
async function keysOf(storage: ImageStorage, jobId: string) {
  return (await storage.list({ prefix: `jobs/${jobId}/`, limit: 1000 })).objects.map((object) => object.key);
}

async function sweepAll(storage: ImageStorage, graceMs = 0) {
  const deleted: string[] = [];
  let after: string | undefined;
  for (;;) {
    const page = await collectOrphanPage({
      db: database.db,
      storage,
      graceMs,
      pageSize: 1000,
      ...(after ? { after } : {}),
    });
    deleted.push(...page.deleted);
    if (!page.next) return deleted;
    after = page.next;
  }
}

describe.each(['filesystem', 's3'] as const)('orphaned files in a %s store', (name) => {
  it('takes files no row names and no run can name; keeps what rows name and what a run in flight may', async () => {
    const storage = stores[name];
    // Ended, its row naming run 2's files; run 1's files and a pre-run-keys file are leftovers.
    const ended = await job('succeeded', 2);
    await database.db.image.update({
      where: { jobId_index: { jobId: ended.id, index: 0 } },
      data: {
        status: 'succeeded',
        startedAt: new Date(),
        finishedAt: new Date(),
        storageKey: `jobs/${ended.id}/0-2.png`,
        thumbnailKey: `jobs/${ended.id}/0-2.thumb.webp`,
      },
    });
    // Running under its third claim: run 3 may still record its file; run 2 never can.
    const running = await job('running', 3);
    // Retention deleted this job's rows, then failed to delete its file.
    const gone = randomUUID();
    for (const key of [
      `jobs/${ended.id}/0-1.png`,
      `jobs/${ended.id}/0-1.thumb.webp`,
      `jobs/${ended.id}/0-2.png`,
      `jobs/${ended.id}/0-2.thumb.webp`,
      `jobs/${ended.id}/1.png`,
      `jobs/${running.id}/0-2.png`,
      `jobs/${running.id}/0-3.png`,
      `jobs/${running.id}/0-3.thumb.webp`,
      `jobs/${gone}/0-1.png`,
    ])
      await put(storage, key);

    const deleted = await sweepAll(storage);

    expect(deleted.sort()).toEqual(
      [
        `jobs/${ended.id}/0-1.png`,
        `jobs/${ended.id}/0-1.thumb.webp`,
        `jobs/${ended.id}/1.png`,
        `jobs/${running.id}/0-2.png`,
        `jobs/${gone}/0-1.png`,
      ].sort(),
    );
    expect(await keysOf(storage, ended.id)).toEqual([`jobs/${ended.id}/0-2.png`, `jobs/${ended.id}/0-2.thumb.webp`]);
    expect(await keysOf(storage, running.id)).toEqual([
      `jobs/${running.id}/0-3.png`,
      `jobs/${running.id}/0-3.thumb.webp`,
    ]);
    expect(await keysOf(storage, gone)).toEqual([]);
  });

  it('leaves files younger than the grace period, whoever they belong to', async () => {
    const storage = stores[name];
    const gone = randomUUID();
    await put(storage, `jobs/${gone}/0-1.png`);

    expect(await sweepAll(storage, 3_600_000)).toEqual([]);
    expect(await keysOf(storage, gone)).toEqual([`jobs/${gone}/0-1.png`]);
  });

  it('looks at one page per run, resumes where the last run stopped, and starts over after the end', async () => {
    const storage = stores[name];
    await database.db.maintenanceCursor.deleteMany();
    const gone = randomUUID();
    for (let index = 0; index < 5; index++) await put(storage, `jobs/${gone}/${index}-1.png`);
    const total = (await storage.list({ prefix: 'jobs/', limit: 10_000 })).objects.length;
    const options = { db: database.db, storage, graceMs: 0, pageSize: 3 };

    const runs = [];
    for (let run = 0; run < Math.ceil(total / 3) + 1; run++) runs.push(await collectOrphans(options));

    expect(runs.every((run) => run.scanned <= 3)).toBe(true);
    expect(runs.flatMap((run) => run.deleted).filter((key) => key.includes(gone))).toHaveLength(5);
    expect(runs.at(-2)!.next === null || runs.at(-1)!.next === null).toBe(true);
    const cursor = await database.db.maintenanceCursor.findUniqueOrThrow({ where: { name: 'orphans' } });
    expect(cursor.position).toBe(runs.at(-1)!.next ?? '');
  });

  it('a failed delete is reported and left; the next pass deletes it', async () => {
    const storage = stores[name];
    const gone = randomUUID();
    await put(storage, `jobs/${gone}/0-1.png`);
    let failures = 1;
    const flaky: ImageStorage = {
      ...storage,
      async delete(key) {
        if (key.includes(gone) && failures-- > 0) throw new Error('SlowDown: please reduce your request rate');
        return storage.delete(key);
      },
    };

    const first = await collectOrphanPage({ db: database.db, storage: flaky, graceMs: 0, pageSize: 1000 });
    const second = await collectOrphanPage({ db: database.db, storage: flaky, graceMs: 0, pageSize: 1000 });

    expect([first.failed, second.deleted.filter((key) => key.includes(gone))]).toEqual([
      [`jobs/${gone}/0-1.png`],
      [`jobs/${gone}/0-1.png`],
    ]);
  });

  it('retention that cannot delete a file goes on, and the collector takes the file later', async () => {
    const storage = stores[name];
    const old = await job('succeeded', 1, { finishedAt: new Date(Date.now() - 40 * 86_400_000) });
    await database.db.image.update({
      where: { jobId_index: { jobId: old.id, index: 0 } },
      data: {
        status: 'succeeded',
        startedAt: new Date(),
        finishedAt: new Date(),
        storageKey: `jobs/${old.id}/0-1.png`,
      },
    });
    await put(storage, `jobs/${old.id}/0-1.png`);
    const failing: ImageStorage = {
      ...storage,
      async delete() {
        throw new Error('EACCES: permission denied');
      },
    };

    const removed = await deleteExpired({ db: database.db, storage: failing, days: 30, log });

    expect(removed).toEqual({ jobs: 1, files: 0, failed: 1 });
    expect(await keysOf(storage, old.id)).toEqual([`jobs/${old.id}/0-1.png`]);
    expect(await sweepAll(storage)).toContain(`jobs/${old.id}/0-1.png`);
    expect(await keysOf(storage, old.id)).toEqual([]);
  });

  it('a run storing images while the collector runs between each write and its row keeps every image', async () => {
    const storage = stores[name];
    const queued = await job('queued', 0);
    const sweeps: string[][] = [];
    // The collector runs in the window the race is about: the file is written, its row not yet.
    const racing: ImageStorage = {
      ...storage,
      async put(key, body, type) {
        const stored = await storage.put(key, body, type);
        sweeps.push(await sweepAll(storage));
        return stored;
      },
    };

    await runJob(
      {
        db: database.db,
        storage: racing,
        providerFor: () => createLocalProvider(),
        log,
        workerId: 'race',
        // One lane: with two, one lane's sweep (grace 0) would take the other's `.tmp` file mid-write,
        // which is what the grace period is for; this test is about files waiting for their row.
        imageConcurrency: 1,
      },
      queued.id,
    );

    const images = await database.db.image.findMany({ where: { jobId: queued.id }, orderBy: { index: 'asc' } });
    expect(images.map((image) => image.status)).toEqual(['succeeded', 'succeeded']);
    expect(sweeps).toHaveLength(4);
    expect(sweeps.flat().filter((key) => key.includes(queued.id))).toEqual([]);
    for (const image of images) {
      expect(await storage.stat(image.storageKey!)).not.toBeNull();
      expect(await storage.stat(image.thumbnailKey!)).not.toBeNull();
    }
  });
});

describe('the filesystem store', () => {
  it('takes .tmp files of an interrupted write once older than the grace period, and leaves keys it does not know', async () => {
    const jobDir = path.join(dir, 'jobs', randomUUID());
    await stores.filesystem.put(`jobs/${path.basename(jobDir)}/.keep.png`, png, 'image/png');
    const temp = path.join(jobDir, '0-1.png.0123456789ab.tmp');
    const fresh = path.join(jobDir, '1-1.png.ba9876543210.tmp');
    const unknown = path.join(jobDir, 'notes.txt');
    for (const file of [temp, fresh, unknown]) writeFileSync(file, 'half an image');
    const twoHoursAgo = new Date(Date.now() - 7_200_000);
    utimesSync(temp, twoHoursAgo, twoHoursAgo);
    utimesSync(unknown, twoHoursAgo, twoHoursAgo);

    const deleted = await sweepAll(stores.filesystem, 3_600_000);

    expect(deleted).toEqual([`jobs/${path.basename(jobDir)}/0-1.png.0123456789ab.tmp`]);
    expect((await keysOf(stores.filesystem, path.basename(jobDir))).sort()).toEqual(
      [`.keep.png`, '1-1.png.ba9876543210.tmp', 'notes.txt']
        .map((file) => `jobs/${path.basename(jobDir)}/${file}`)
        .sort(),
    );
  });

  it('the upkeep task collects a page every run', async () => {
    const gone = randomUUID();
    await put(stores.filesystem, `jobs/${gone}/0-1.png`);
    const old = new Date(Date.now() - 7_200_000);
    utimesSync(path.join(dir, 'jobs', gone, '0-1.png'), old, old);
    await database.db.maintenanceCursor.deleteMany();
    const task = makeMaintenanceTask({
      db: database.db,
      log,
      promoteAfterSeconds: 300,
      orphans: { storage: stores.filesystem, graceSeconds: 3600, pageSize: 10_000 },
    });

    await task({}, {} as never);

    expect(await keysOf(stores.filesystem, gone)).toEqual([]);
  });
});
