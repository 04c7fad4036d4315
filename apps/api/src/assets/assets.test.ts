/**
 * Assets over HTTP and tRPC against a real API, database and storage: multipart uploads, a phone JPEG
 * with its orientation and GPS, the same bytes twice, the byte quota, and another user's id. What both
 * upload URLs share (hostile files, the byte, pixel, count and rate limits) is in uploads.test.ts.
 */
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeHarness, type Harness } from '../../test/harness.js';

const LIMITS = {
  maxPerUser: 50,
  maxBytes: 256 * 1024,
  maxPixels: 1_000_000,
  uploadsPerMinute: 1000,
  quotaBytes: 400_000,
};

let h: Harness;
beforeAll(async () => {
  h = await makeHarness({ settings: { references: LIMITS } });
});
afterAll(() => h.close());

const solid = (r: number, width = 64, height = 48) =>
  sharp({ create: { width, height, channels: 3, background: { r, g: 40, b: 90 } } })
    .png()
    .toBuffer();
const raw = (body: Buffer, headers: Record<string, string> = {}, contentType = 'image/png') =>
  h.inject({
    method: 'POST',
    url: '/api/v1/assets',
    headers: { 'content-type': contentType, ...headers },
    payload: body,
  });

function multipart(body: Buffer, fields: Record<string, string> = {}, name = 'file') {
  const boundary = '----darkroom-test-boundary';
  const parts = [
    ...Object.entries(fields).map(
      ([key, value]) => `--${boundary}\r\nContent-Disposition: form-data; name="${key}"\r\n\r\n${value}\r\n`,
    ),
    `--${boundary}\r\nContent-Disposition: form-data; name="${name}"; filename="photo.png"\r\nContent-Type: application/octet-stream\r\n\r\n`,
  ];
  const payload = Buffer.concat([Buffer.from(parts.join('')), body, Buffer.from(`\r\n--${boundary}--\r\n`)]);
  return h.inject({
    method: 'POST',
    url: '/api/v1/assets',
    headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
    payload,
  });
}

const filesOf = (userId: string) => {
  try {
    return readdirSync(path.join(h.storageDir, 'assets', userId)).length;
  } catch {
    return 0;
  }
};

/** A phone photo: 40x20 pixels stored sideways (EXIF orientation 6), with a camera make and a GPS position. */
const phoneJpeg = () =>
  sharp({ create: { width: 40, height: 20, channels: 3, background: { r: 200, g: 10, b: 10 } } })
    .jpeg()
    .withMetadata({ orientation: 6 })
    .withExifMerge({ IFD0: { Make: 'PhoneMaker' }, IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '48/1 51/1 2964/100' } })
    .toBuffer();
/** The GPS IFD pointer tag (0x8825), either byte order. */
const hasGpsTag = (bytes: Buffer) =>
  bytes.includes(Buffer.from([0x88, 0x25])) || bytes.includes(Buffer.from([0x25, 0x88]));

describe('assets', () => {
  it('stores a raw-body upload with a thumbnail, and lists and gets it through tRPC', async () => {
    const response = await raw(await solid(10), {}, 'image/png');
    expect(response.statusCode).toBe(201);
    const asset = response.json();
    expect(asset).toMatchObject({
      mime: 'image/png',
      width: 64,
      height: 48,
      sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    const thumbnail = await h.inject({ method: 'GET', url: asset.thumbnailUrl });
    expect([thumbnail.statusCode, thumbnail.headers['content-type']]).toEqual([200, 'image/webp']);
    expect((await h.caller.assets.get({ id: asset.id })).id).toBe(asset.id);
    expect((await h.caller.assets.list()).map((a) => a.id)).toContain(asset.id);
  });

  it('stores a multipart upload with its tags', async () => {
    const response = await multipart(await solid(20), { tags: 'Shoe,red' });
    expect(response.statusCode).toBe(201);
    expect(response.json()).toMatchObject({ tags: ['shoe', 'red'], width: 64 });
  });

  it('applies EXIF orientation 6 and strips GPS and camera metadata from the stored bytes', async () => {
    const photo = await phoneJpeg();
    expect(hasGpsTag(photo)).toBe(true);
    const response = await raw(photo, {}, 'image/jpeg');
    expect(response.statusCode).toBe(201);
    const asset = response.json();
    expect([asset.width, asset.height]).toEqual([20, 40]);
    const row = await h.db.reference.findUniqueOrThrow({ where: { id: asset.id } });
    const stored = readFileSync(path.join(h.storageDir, row.storageKey));
    const metadata = await sharp(stored).metadata();
    expect([metadata.width, metadata.height, metadata.orientation, metadata.exif]).toEqual([
      20,
      40,
      undefined,
      undefined,
    ]);
    expect(hasGpsTag(stored)).toBe(false);
    expect(stored.toString('latin1')).not.toContain('PhoneMaker');
  });

  it('keeps one asset for the same bytes uploaded twice (200 the second time)', async () => {
    const bytes = await solid(30);
    const first = await raw(bytes);
    const second = await multipart(bytes);
    expect([first.statusCode, second.statusCode]).toEqual([201, 200]);
    expect(second.json().id).toBe(first.json().id);
    expect(await h.db.reference.count({ where: { userId: h.user.id, sha256: first.json().sha256 } })).toBe(1);
  });

  it('refuses an upload over the per-account byte quota (ASSET_QUOTA_BYTES), naming it', async () => {
    const someone = await h.makeUser('quota@example.com');
    // Random pixels do not compress: about 120 KB a PNG, so the fourth cannot fit in 400 KB.
    const noise = (_seed: number) =>
      sharp(randomBytes(200 * 200 * 3), { raw: { width: 200, height: 200, channels: 3 } })
        .png()
        .toBuffer();
    let refused;
    for (let seed = 1; seed < 10 && !refused; seed++) {
      const response = await raw(await noise(seed), someone.headers);
      if (response.statusCode !== 201) refused = response;
    }
    expect(refused?.statusCode).toBe(429);
    expect(refused?.json().error.details).toMatchObject({ limit: 'ASSET_QUOTA_BYTES', maximum: 400_000 });
  });

  it("answers another user's asset exactly like a missing one, on every surface", async () => {
    const stranger = await h.makeUser('stranger@example.com');
    const mine = (await raw(await solid(40))).json();
    const missing = '0190a000-0000-7000-8000-000000000000';
    const messageFor = async (id: string) =>
      stranger.caller.assets.get({ id }).then(
        () => 'found',
        (error: Error) => error.message.replace(id, '<id>'),
      );
    expect(await messageFor(mine.id)).toBe(await messageFor(missing));
    await expect(stranger.caller.assets.delete({ id: mine.id })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    for (const url of [`/assets/${mine.id}/file`, `/assets/${mine.id}/thumbnail`, `/api/v1/assets/${mine.id}`]) {
      const theirs = await h.inject({ method: 'GET', url, headers: stranger.headers });
      const none = await h.inject({ method: 'GET', url: url.replace(mine.id, missing), headers: stranger.headers });
      expect([theirs.statusCode, theirs.json().error.code]).toEqual([none.statusCode, none.json().error.code]);
      expect(theirs.statusCode).toBe(404);
    }
    expect((await h.caller.assets.get({ id: mine.id })).id).toBe(mine.id);
  });

  it('deletes an asset and its files', async () => {
    const someone = await h.makeUser('deleter@example.com');
    const asset = (await raw(await solid(50), someone.headers)).json();
    expect(filesOf(someone.user.id)).toBe(2);
    const response = await h.inject({ method: 'DELETE', url: `/api/v1/assets/${asset.id}`, headers: someone.headers });
    expect(response.statusCode).toBe(200);
    expect(filesOf(someone.user.id)).toBe(0);
    await expect(someone.caller.assets.get({ id: asset.id })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});
