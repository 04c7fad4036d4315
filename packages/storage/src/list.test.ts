import { mkdtempSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import S3rver from 's3rver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFilesystemStorage, createS3Storage, type ImageStorage } from './index.js';

/** Listing pages of a store, against a real directory and an S3-compatible server (s3rver). */
let server: S3rver;
const stores: Record<string, ImageStorage> = {};
const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]);
const KEYS = [
  'jobs/0190a1b2-0000-7000-8000-000000000001/0-1.png',
  'jobs/0190a1b2-0000-7000-8000-000000000001/0-1.thumb.webp',
  'jobs/0190a1b2-0000-7000-8000-000000000001/1-1.png',
  'jobs/0190a1b2-0000-7000-8000-000000000002/0-1.png',
  'jobs/0190a1b2-0000-7000-8000-000000000002/0-2.png',
  'jobs/0190a1b2-0000-7000-8000-000000000010/0-1.png',
];

beforeAll(async () => {
  server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory: mkdtempSync(path.join(os.tmpdir(), 'darkroom-s3-list-')),
    configureBuckets: [{ name: 'darkroom-list', configs: [] }],
  });
  const { port } = (await server.run()) as AddressInfo;
  stores.filesystem = createFilesystemStorage({ root: mkdtempSync(path.join(os.tmpdir(), 'darkroom-list-')) });
  stores.s3 = createS3Storage({
    bucket: 'darkroom-list',
    endpoint: `http://127.0.0.1:${port}`,
    forcePathStyle: true,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    prefix: 'darkroom/',
  });
  for (const storage of Object.values(stores)) {
    // Out of order, and one object outside the listed folder.
    for (const key of [...KEYS].reverse())
      await storage.put(key, png, key.endsWith('.webp') ? 'image/webp' : 'image/png');
    await storage.put('references/0190a1b2-0000-7000-8000-000000000003.png', png, 'image/png');
  }
});
afterAll(async () => {
  await Promise.all(Object.values(stores).map((storage) => storage.close?.()));
  await server.close();
});

describe.each(['filesystem', 's3'])('listing a %s store', (name) => {
  it('pages through a folder in key order, each object with its size and time, and says where to go on', async () => {
    const storage = stores[name]!;
    const seen: string[] = [];
    const nexts: (string | null)[] = [];
    let after: string | undefined;
    for (let page = 0; page < 10; page++) {
      const listed = await storage.list({ prefix: 'jobs/', limit: 4, ...(after ? { after } : {}) });
      seen.push(...listed.objects.map((object) => object.key));
      nexts.push(listed.next);
      for (const object of listed.objects) {
        expect(object.bytes).toBe(png.length);
        expect(Math.abs(object.modifiedAt.getTime() - Date.now())).toBeLessThan(60_000);
      }
      if (!listed.next) break;
      after = listed.next;
    }

    expect(seen).toEqual(KEYS);
    expect(nexts).toEqual([KEYS[3], null]);
  });

  it('starts after any key, even one that is not there', async () => {
    const storage = stores[name]!;

    const fromMiddle = await storage.list({ prefix: 'jobs/', after: KEYS[2]!, limit: 100 });
    const fromGap = await storage.list({
      prefix: 'jobs/',
      after: 'jobs/0190a1b2-0000-7000-8000-000000000002/0-1.thumb.webp',
      limit: 100,
    });
    const pastEnd = await storage.list({ prefix: 'jobs/', after: 'jobs/z', limit: 100 });

    expect(fromMiddle.objects.map((object) => object.key)).toEqual(KEYS.slice(3));
    expect(fromGap.objects.map((object) => object.key)).toEqual(KEYS.slice(4));
    expect(pastEnd).toEqual({ objects: [], next: null });
  });

  it.each(['jobs', '/jobs/', '../', 'jobs//'])('refuses the prefix %j', async (prefix) => {
    await expect(stores[name]!.list({ prefix, limit: 1 })).rejects.toThrow(/invalid storage/);
  });
});
