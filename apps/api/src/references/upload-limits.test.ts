/**
 * Reference uploads as a hostile client sends them, over HTTP against a real API and database:
 * unauthenticated bodies refused from their headers, per-account caps on count, bytes and rate, a
 * decompression bomb, and files cut short.
 */
import { readdirSync } from 'node:fs';
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeHarness, type Harness } from '../../test/harness.js';
import { pngBomb, truncated } from '../../test/hostile-images.js';

const LIMITS = { maxPerUser: 3, maxBytes: 2 * 1024 * 1024, maxPixels: 40_000_000, uploadsPerMinute: 6 };

let h: Harness;
let port: number;
beforeAll(async () => {
  h = await makeHarness({ settings: { references: LIMITS } });
  const server = await h.server();
  await server.listen({ host: '127.0.0.1', port: 0 });
  port = (server.server.address() as AddressInfo).port;
});
afterAll(() => h.close());

const image = (shade: number) =>
  sharp({ create: { width: 32, height: 24, channels: 3, background: { r: shade, g: 90, b: 40 } } })
    .png()
    .toBuffer();
const upload = (headers: Record<string, string>, body: Buffer, contentType = 'image/png') =>
  h.inject({
    method: 'POST',
    url: '/api/v1/references',
    headers: { 'content-type': contentType, ...headers },
    payload: body,
  });
let users = 0;
const someone = () => h.makeUser(`uploader${++users}@example.com`);
const storedFiles = (userId: string) => {
  try {
    // Uploads are assets now: each stored image has a thumbnail next to it, not counted here.
    return readdirSync(path.join(h.storageDir, 'assets', userId)).filter((name) => !name.includes('.thumb.')).length;
  } catch {
    return 0;
  }
};

/**
 * Sends only the request line and headers of a POST whose body would be `declared` bytes, and
 * resolves with the first bytes of the answer; the body is never sent.
 */
function headersOnly(headers: Record<string, string>, declared: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const timer = setTimeout(() => (socket.destroy(), reject(new Error('no answer while the body was unsent'))), 5000);
    socket.once('error', reject);
    socket.once('data', (data) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(data.toString('latin1'));
    });
    const lines = Object.entries({
      host: '127.0.0.1',
      'content-type': 'image/png',
      'content-length': String(declared),
      ...headers,
    }).map(([name, value]) => `${name}: ${value}`);
    socket.write(`POST /api/v1/references HTTP/1.1\r\n${lines.join('\r\n')}\r\n\r\n`);
  });
}

describe('authentication before the body', () => {
  it('answers 401 to an unauthenticated 8 MB upload while the client has sent only its headers', async () => {
    const eightMb = 8 * 1024 * 1024;
    expect(await headersOnly({}, eightMb)).toMatch(/^HTTP\/1\.1 401 /);
    expect(await headersOnly({ authorization: 'Bearer dk_00000000_nope' }, eightMb)).toMatch(/^HTTP\/1\.1 401 /);
  });

  it('answers 413 naming REFERENCE_MAX_BYTES to a signed-in upload declaring more, before its body', async () => {
    const answer = await headersOnly(h.headers, LIMITS.maxBytes + 1);
    expect(answer).toMatch(/^HTTP\/1\.1 413 /);
    expect(answer).toContain('REFERENCE_MAX_BYTES');
  });
});

describe('per-account caps', () => {
  it('refuses a body over REFERENCE_MAX_BYTES with 413 naming the limit, storing nothing', async () => {
    const user = await someone();
    const response = await upload(user.headers, Buffer.alloc(LIMITS.maxBytes + 1, 1));
    expect(response.statusCode).toBe(413);
    expect(response.json().error).toMatchObject({
      code: 'PAYLOAD_TOO_LARGE',
      details: { limit: 'REFERENCE_MAX_BYTES', maximum: LIMITS.maxBytes },
    });
    expect(await h.db.reference.count({ where: { userId: user.user.id } })).toBe(0);
  });

  it('keeps at most MAX_REFERENCES_PER_USER references, even from concurrent uploads', async () => {
    const user = await someone();
    const statuses = await Promise.all(
      [1, 2, 3, 4, 5].map(async (i) => (await upload(user.headers, await image(i * 40))).statusCode),
    );
    expect(statuses.filter((status) => status === 201)).toHaveLength(3);
    expect(await h.db.reference.count({ where: { userId: user.user.id } })).toBe(3);
    expect(storedFiles(user.user.id)).toBe(3);

    const refused = await upload(user.headers, await image(7));
    expect(refused.statusCode).toBe(429);
    expect(refused.json().error).toMatchObject({
      code: 'RATE_LIMITED',
      details: { limit: 'MAX_REFERENCES_PER_USER', maximum: 3 },
    });
    // Another account's room is its own.
    expect((await upload((await someone()).headers, await image(8))).statusCode).toBe(201);
  });

  it('refuses uploads past REFERENCE_UPLOADS_PER_MINUTE with 429 and Retry-After, naming the limit', async () => {
    const user = await someone();
    const statuses = [];
    // Refused uploads count too: a bad file costs a try, so a stream of them is throttled.
    for (let i = 0; i < LIMITS.uploadsPerMinute; i++)
      statuses.push((await upload(user.headers, Buffer.from('not an image'))).statusCode);
    expect(statuses).toEqual(Array(LIMITS.uploadsPerMinute).fill(415));
    const limited = await upload(user.headers, await image(1));
    expect(limited.statusCode).toBe(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(limited.json().error.details).toMatchObject({ limit: 'REFERENCE_UPLOADS_PER_MINUTE', maximum: 6 });
  });
});

describe('hostile files', () => {
  // 10000x10000 is under sharp's own default limit (268 megapixels), so only REFERENCE_MAX_PIXELS stops it.
  it.each([10_000, 30_000])(
    'refuses a %i-pixel-square PNG bomb from its header, cheaply, naming REFERENCE_MAX_PIXELS',
    async (side) => {
      const user = await someone();
      const bomb = await pngBomb(side);
      expect(bomb.length).toBeLessThan(LIMITS.maxBytes);

      const started = performance.now();
      const response = await upload(user.headers, bomb);
      const elapsed = performance.now() - started;

      expect(response.statusCode).toBe(400);
      expect(response.json().error).toMatchObject({
        code: 'BAD_INPUT',
        details: { field: 'body', limit: 'REFERENCE_MAX_PIXELS', maximum: LIMITS.maxPixels, pixels: side * side },
      });
      // Decoding 900 megapixels takes seconds and ~1 GB; reading the header, milliseconds.
      expect(elapsed).toBeLessThan(1000);
      expect(storedFiles(user.user.id)).toBe(0);
    },
    60_000,
  );

  // A cut PNG or JPEG still has its header (it fails when decoded); a cut WebP's RIFF header no longer
  // adds up, so it is not recognised as an image at all.
  it.each([
    ['png', 400, { code: 'BAD_INPUT', details: { field: 'body', reason: 'corrupt' } }],
    ['jpeg', 400, { code: 'BAD_INPUT', details: { field: 'body', reason: 'corrupt' } }],
    ['webp', 415, { code: 'UNSUPPORTED_MEDIA_TYPE', details: { field: 'body', reason: 'format' } }],
  ] as const)(
    'refuses a truncated %s with a typed error naming the body, not a 500, storing nothing',
    async (format, status, error) => {
      const user = await someone();
      const response = await upload(user.headers, await truncated(format), `image/${format}`);
      expect(response.statusCode).toBe(status);
      expect(response.json().error).toMatchObject(error);
      expect(await h.db.reference.count({ where: { userId: user.user.id } })).toBe(0);
      expect(storedFiles(user.user.id)).toBe(0);
    },
  );
});
