import { mkdtempSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import S3rver from 's3rver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createS3Storage, imageKey, type ImageStorage } from './index.js';

/** s3rver: an S3-compatible server from npm, in this process, on 127.0.0.1, storing under a temp dir. */
let server: S3rver;
let endpoint: string;
let storage: ImageStorage;
const png = (text: string) => Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47]), Buffer.from(text)]);

beforeAll(async () => {
  server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory: mkdtempSync(path.join(os.tmpdir(), 'darkroom-s3-')),
    configureBuckets: [{ name: 'darkroom-images', configs: [] }],
  });
  const address = (await server.run()) as AddressInfo;
  endpoint = `http://127.0.0.1:${address.port}`;
  storage = createS3Storage({
    bucket: 'darkroom-images',
    endpoint,
    region: 'eu-west-1',
    forcePathStyle: true,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    prefix: 'darkroom/',
  });
});
afterAll(async () => {
  await storage.close?.();
  await server.close();
});

describe('S3 storage against an S3-compatible server', () => {
  it('round-trips bytes and content type, and overwrites', async () => {
    const key = imageKey('job-s3', 0);

    expect(await storage.put(key, png('one'), 'image/png')).toEqual({ key, bytes: 7, contentType: 'image/png' });
    await storage.put(key, png('second'), 'image/png');

    expect(await storage.get(key)).toEqual({ body: png('second'), bytes: 10, contentType: 'image/png' });
    expect(await storage.stat(key)).toEqual({ bytes: 10, contentType: 'image/png' });
  });

  it('keeps the format of each object (jpeg, webp)', async () => {
    await storage.put(imageKey('job-s3', 1, 'jpg'), Buffer.from([0xff, 0xd8, 0xff, 0x01]), 'image/jpeg');
    await storage.put(imageKey('job-s3', 2, 'webp'), Buffer.from('RIFF0000WEBP'), 'image/webp');

    expect((await storage.stat(imageKey('job-s3', 1, 'jpg')))?.contentType).toBe('image/jpeg');
    expect((await storage.get(imageKey('job-s3', 2, 'webp')))?.body.toString()).toBe('RIFF0000WEBP');
  });

  it('writes under the prefix, path-style, where a plain HTTP GET of the bucket finds it', async () => {
    await storage.put('jobs/prefixed/0.png', png('p'), 'image/png');

    const response = await fetch(`${endpoint}/darkroom-images/darkroom/jobs/prefixed/0.png`);

    expect(response.status).toBe(200);
    expect(Buffer.from(await response.arrayBuffer())).toEqual(png('p'));
  });

  it('answers null for a missing key, and deletes idempotently', async () => {
    expect(await storage.get('jobs/none/0.png')).toBeNull();
    expect(await storage.stat('jobs/none/0.png')).toBeNull();
    await storage.put('jobs/gone/0.png', png('x'), 'image/png');

    await storage.delete('jobs/gone/0.png');
    await storage.delete('jobs/gone/0.png');

    expect(await storage.stat('jobs/gone/0.png')).toBeNull();
  });

  it.each(['/etc/passwd', '../outside.png', 'jobs/../../x.png', 'jobs//0.png', ''])(
    'refuses the key %j',
    async (key) => {
      await expect(storage.put(key, png('x'), 'image/png')).rejects.toThrow(/invalid storage key/);
      await expect(storage.get(key)).rejects.toThrow(/invalid storage key/);
    },
  );

  it('refuses a content type that contradicts the key', async () => {
    await expect(storage.put('jobs/j/0.png', png('x'), 'image/webp')).rejects.toThrow(/does not match/);
  });

  it('reports a bucket that does not exist instead of pretending the object is missing', async () => {
    const wrong = createS3Storage({
      bucket: 'no-such-bucket',
      endpoint,
      forcePathStyle: true,
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    });
    try {
      await expect(wrong.put('jobs/x/0.png', png('x'), 'image/png')).rejects.toThrow(/bucket/i);
    } finally {
      await wrong.close?.();
    }
  });
});
