/**
 * Both upload URLs, POST /api/v1/assets and the older POST /api/v1/references, as a hostile client sends
 * them, over HTTP against a real API and database: one suite run against each (they share one route,
 * assets/upload-routes.ts). Unauthenticated bodies refused from their headers, per-account caps on count,
 * bytes and rate, files that are not images, a decompression bomb, files cut short, and the stored file
 * served to its owner alone.
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

type Caller = Harness['caller'];
const SURFACES = [
  {
    url: '/api/v1/assets',
    // A multipart form may add this much to the image.
    overhead: 64 * 1024,
    listed: (caller: Caller) => caller.assets.list(),
    file: (id: string) => `/assets/${id}/file`,
    unauthorized: { code: 'UNAUTHORIZED', message: 'sign in or send an API key', details: null },
  },
  {
    url: '/api/v1/references',
    overhead: 0,
    listed: (caller: Caller) => caller.references.list(),
    file: (id: string) => `/references/${id}/file`,
    // Older than REST's `details: null`, and kept as it was.
    unauthorized: { code: 'UNAUTHORIZED', message: 'sign in or send an API key' },
  },
] as const;

const image = (shade: number) =>
  sharp({ create: { width: 32, height: 24, channels: 3, background: { r: shade, g: 90, b: 40 } } })
    .png()
    .toBuffer();
let users = 0;
const someone = () => h.makeUser(`uploader${++users}@example.com`);
const filesOf = (userId: string) => {
  try {
    return readdirSync(path.join(h.storageDir, 'assets', userId));
  } catch {
    return [];
  }
};
// Uploads are assets: each stored image has a thumbnail next to it, not counted here.
const storedFiles = (userId: string) => filesOf(userId).filter((name) => !name.includes('.thumb.')).length;

describe.each(SURFACES)('POST $url', (surface) => {
  const upload = (headers: Record<string, string>, body: Buffer, contentType = 'image/png', query = '') =>
    h.inject({
      method: 'POST',
      url: `${surface.url}${query}`,
      headers: { 'content-type': contentType, ...headers },
      payload: body,
    });

  /**
   * Sends only the request line and headers of a POST whose body would be `declared` bytes, and
   * resolves with the first bytes of the answer; the body is never sent.
   */
  function headersOnly(headers: Record<string, string>, declared: number): Promise<string> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, '127.0.0.1');
      const timer = setTimeout(
        () => (socket.destroy(), reject(new Error('no answer while the body was unsent'))),
        5000,
      );
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
      socket.write(`POST ${surface.url} HTTP/1.1\r\n${lines.join('\r\n')}\r\n\r\n`);
    });
  }

  it('stores a sniffed image with its tags and palette, and serves it back to its owner alone', async () => {
    const user = await someone();
    const red = await sharp({ create: { width: 64, height: 48, channels: 3, background: { r: 255, g: 0, b: 0 } } })
      .png()
      .toBuffer();
    const response = await upload(user.headers, red, 'image/png', '?tags=Dragon,Red&description=a%20red%20swatch');
    expect(response.statusCode).toBe(201);
    const stored = response.json();
    expect(stored).toMatchObject({
      url: surface.file(stored.id),
      mime: 'image/png',
      width: 64,
      height: 48,
      tags: ['dragon', 'red'],
      description: 'a red swatch',
      palette: ['#ff0000'],
    });
    expect((await surface.listed(user.caller)).map((listed) => listed.id)).toEqual([stored.id]);

    const file = await h.inject({ method: 'GET', url: stored.url, headers: user.headers });
    expect([file.statusCode, file.headers['content-type']]).toEqual([200, 'image/png']);
    const stranger = await h.inject({ method: 'GET', url: stored.url, headers: (await someone()).headers });
    expect([stranger.statusCode, stranger.json().error.code]).toEqual([404, 'NOT_FOUND']);
    const nobody = await (await h.server()).inject({ method: 'GET', url: stored.url });
    expect([nobody.statusCode, nobody.json()]).toEqual([401, { error: surface.unauthorized }]);
  });

  it.each([
    [
      'text claiming to be a PNG',
      () => Promise.resolve(Buffer.from('definitely not an image')),
      'image/png',
      415,
      /PNG, JPEG or WebP/,
    ],
    [
      'a GIF',
      () =>
        sharp({ create: { width: 8, height: 8, channels: 3, background: 'red' } })
          .gif()
          .toBuffer(),
      'image/gif',
      415,
      /these bytes are gif/,
    ],
    ['a non-image content type', () => Promise.resolve(Buffer.from('hello')), 'text/plain', 415, /.+/],
  ])('refuses %s, storing nothing', async (_name, body, contentType, status, message) => {
    const user = await someone();
    const response = await upload(user.headers, await body(), contentType);
    expect(response.statusCode).toBe(status);
    expect(response.json().error.message).toMatch(message);
    expect(await h.db.reference.count({ where: { userId: user.user.id } })).toBe(0);
    expect(filesOf(user.user.id)).toEqual([]);
  });

  describe('authentication before the body', () => {
    it('answers 401 to an unauthenticated 8 MB upload while the client has sent only its headers', async () => {
      const eightMb = 8 * 1024 * 1024;
      expect(await headersOnly({}, eightMb)).toMatch(/^HTTP\/1\.1 401 /);
      expect(await headersOnly({ authorization: 'Bearer dk_00000000_nope' }, eightMb)).toMatch(/^HTTP\/1\.1 401 /);
    });

    it('answers 413 naming REFERENCE_MAX_BYTES to a signed-in upload declaring more, before its body', async () => {
      const answer = await headersOnly(h.headers, LIMITS.maxBytes + surface.overhead + 1);
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
        message: expect.stringContaining(`at most ${LIMITS.maxBytes} bytes`),
        details: { limit: 'REFERENCE_MAX_BYTES', maximum: LIMITS.maxBytes },
      });
      expect(await h.db.reference.count({ where: { userId: user.user.id } })).toBe(0);
      expect(filesOf(user.user.id)).toEqual([]);
    });

    it('keeps at most MAX_REFERENCES_PER_USER uploads, even from concurrent uploads', async () => {
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
          message: expect.stringContaining(`at most ${LIMITS.maxPixels} pixels`),
          details: { field: 'body', limit: 'REFERENCE_MAX_PIXELS', maximum: LIMITS.maxPixels, pixels: side * side },
        });
        // Decoding 900 megapixels takes seconds and ~1 GB; reading the header, milliseconds.
        expect(elapsed).toBeLessThan(1000);
        expect(filesOf(user.user.id)).toEqual([]);
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
        expect(response.json().error).toMatchObject({
          ...error,
          ...(status === 400 ? { message: expect.stringMatching(/truncated or corrupt/) } : {}),
        });
        expect(await h.db.reference.count({ where: { userId: user.user.id } })).toBe(0);
        expect(filesOf(user.user.id)).toEqual([]);
      },
    );
  });
});
