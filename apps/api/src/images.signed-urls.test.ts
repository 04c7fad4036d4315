import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from './server.js';
import { makeUrlSigner } from './signed-urls.js';
import { eventually, makeHarness, type Harness } from '../test/harness.js';

const SECRET = 'a-test-secret-of-at-least-32-characters!';
let h: Harness;
let imageId: string;
let server: Awaited<ReturnType<typeof buildServer>>;

beforeAll(async () => {
  h = await makeHarness();
  await h.startWorker();
  const created = await h.caller.jobs.create({ prompt: 'a postcard to share' });
  const job = await eventually(async () => {
    const view = await h.caller.jobs.get({ id: created.id });
    return view.status === 'succeeded' ? view : null;
  });
  imageId = job.images[0]!.id;
  server = await buildServer({
    db: h.db,
    databaseUrl: h.url,
    storage: h.storage,
    settings: h.settings,
    webDistDir: path.join(h.storageDir, 'no-web-app'),
    logLevel: 'silent',
    imageUrlSecret: SECRET,
  });
});
afterAll(async () => {
  await server.close();
  await h.close();
});

async function signedLinks(ttlSeconds = 600) {
  const response = await server.inject({
    method: 'POST',
    url: `/images/${imageId}/signed-url?ttlSeconds=${ttlSeconds}`,
    headers: h.headers,
  });
  expect(response.statusCode).toBe(200);
  return response.json() as { url: string; thumbnailUrl: string | null; expiresAt: string };
}

describe('signed, expiring image links', () => {
  it('open the image and its thumbnail without signing in, cached only until they expire', async () => {
    const links = await signedLinks(600);

    const image = await server.inject({ method: 'GET', url: links.url });
    const thumbnail = await server.inject({ method: 'GET', url: links.thumbnailUrl! });

    expect([
      image.statusCode,
      image.headers['content-type'],
      thumbnail.statusCode,
      thumbnail.headers['content-type'],
    ]).toEqual([200, 'image/png', 200, 'image/webp']);
    const maxAge = Number(/max-age=(\d+)/.exec(String(image.headers['cache-control']))![1]);
    expect(maxAge).toBeGreaterThan(0);
    expect(maxAge).toBeLessThanOrEqual(600);
    expect(Date.parse(links.expiresAt) - Date.now()).toBeLessThanOrEqual(600_000);
  });

  it('are same-origin resources unless SIGNED_LINKS_EMBEDDABLE lets other sites embed them', async () => {
    const links = await signedLinks(600);
    expect((await server.inject({ method: 'GET', url: links.url })).headers['cross-origin-resource-policy']).toBe(
      'same-origin',
    );
    const embeddable = await buildServer({
      db: h.db,
      databaseUrl: h.url,
      storage: h.storage,
      settings: { ...h.settings, signedLinksEmbeddable: true },
      webDistDir: path.join(h.storageDir, 'no-web-app'),
      logLevel: 'silent',
      imageUrlSecret: SECRET,
    });
    try {
      expect((await embeddable.inject({ method: 'GET', url: links.url })).headers['cross-origin-resource-policy']).toBe(
        'cross-origin',
      );
      expect(
        (await embeddable.inject({ method: 'GET', url: links.thumbnailUrl! })).headers['cross-origin-resource-policy'],
      ).toBe('cross-origin');
      // The owner's own request, and a bad signature, stay same-origin.
      const own = await embeddable.inject({ method: 'GET', url: `/images/${imageId}`, headers: h.headers });
      expect([own.statusCode, own.headers['cross-origin-resource-policy']]).toEqual([200, 'same-origin']);
      const forged = await embeddable.inject({ method: 'GET', url: `${links.url.slice(0, -2)}xx` });
      expect([forged.statusCode, forged.headers['cross-origin-resource-policy']]).toEqual([403, 'same-origin']);
    } finally {
      await embeddable.close();
    }
  });

  it('refuse a tampered, expired, foreign or misplaced signature with 403', async () => {
    const { url } = await signedLinks();
    const [pathPart, query] = url.split('?') as [string, string];
    const params = new URLSearchParams(query);
    const expired = makeUrlSigner(SECRET).sign(pathPart, new Date(Date.now() - 1000));
    const foreign = makeUrlSigner('another-secret-of-at-least-32-characters').sign(
      pathPart,
      new Date(Date.now() + 60_000),
    );
    const longer = `${pathPart}?expires=${Number(params.get('expires')) + 3600}&signature=${params.get('signature')}`;
    const otherImage = `/images/00000000-0000-4000-8000-000000000000?${query}`;

    for (const link of [
      `${url.slice(0, -2)}xx`,
      expired,
      foreign,
      longer,
      otherImage,
      `${pathPart}/thumbnail?${query}`,
    ]) {
      const response = await server.inject({ method: 'GET', url: link });
      expect([link, response.statusCode]).toEqual([link, 403]);
    }
  });

  it('are made only for the owner of the image, and only for a bounded time', async () => {
    const stranger = await h.makeUser('stranger@example.com');
    const foreign = await server.inject({
      method: 'POST',
      url: `/images/${imageId}/signed-url`,
      headers: stranger.headers,
    });
    const anonymous = await server.inject({ method: 'POST', url: `/images/${imageId}/signed-url` });
    const tooLong = await server.inject({
      method: 'POST',
      url: `/images/${imageId}/signed-url?ttlSeconds=99999999`,
      headers: h.headers,
    });

    expect([foreign.statusCode, anonymous.statusCode, tooLong.statusCode]).toEqual([404, 401, 400]);
  });

  it('without a signature, an image still needs its owner', async () => {
    expect((await server.inject({ method: 'GET', url: `/images/${imageId}` })).statusCode).toBe(401);
  });
});
