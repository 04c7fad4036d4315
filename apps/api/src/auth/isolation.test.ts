import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, makeHarness, type Harness } from '../../test/harness.js';
import { callTrpc } from '../../test/http.js';

// Owner A has a finished job with an image, a queued job, a batch, an upload and an API key. Stranger B
// tries every procedure and route on A's ids, over HTTP with B's own API key.
let h: Harness;
let stranger: Awaited<ReturnType<Harness['makeUser']>>;
const a = { finished: '', imageId: '', queued: '', batchId: '', referenceId: '', apiKeyId: '' };
const MISSING = '00000000-0000-4000-8000-000000000000';

beforeAll(async () => {
  h = await makeHarness();
  stranger = await h.makeUser('stranger@example.com');
  const worker = await h.startWorker();
  const finished = await h.caller.jobs.create({ prompt: 'a private lighthouse', idempotencyKey: 'shared-key' });
  const done = await eventually(async () => {
    const view = await h.caller.jobs.get({ id: finished.id });
    return view.status === 'succeeded' ? view : null;
  });
  await worker.stop();
  a.finished = done.id;
  a.imageId = done.images[0]!.id;
  a.queued = (await h.caller.jobs.create({ prompt: 'still waiting', numImages: 2 })).id;
  a.batchId = (await h.caller.jobs.createBatch({ requests: [{ prompt: 'batch one' }] })).batchId;
  const png = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#123456' } })
    .png()
    .toBuffer();
  a.referenceId = (
    await h.inject({
      method: 'POST',
      url: '/api/v1/references',
      headers: { 'content-type': 'image/png' },
      payload: png,
    })
  ).json().id;
  a.apiKeyId = (await h.caller.apiKeys.create({ name: 'a key' })).apiKey.id;
});
afterAll(() => h.close());

/** Everything of A's that B must not change. */
async function snapshotOfA() {
  const [jobs, images, references, keys, events, user] = await Promise.all([
    h.db.job.findMany({
      where: { userId: h.user.id },
      orderBy: { id: 'asc' },
      select: { id: true, status: true, cancelRequestedAt: true, creditsReserved: true, updatedAt: true },
    }),
    h.db.image.findMany({
      where: { job: { userId: h.user.id } },
      orderBy: { id: 'asc' },
      select: { id: true, status: true },
    }),
    h.db.reference.findMany({ where: { userId: h.user.id }, select: { id: true } }),
    h.db.apiKey.findMany({ where: { userId: h.user.id }, select: { id: true, revokedAt: true } }),
    h.db.jobEvent.count({ where: { job: { userId: h.user.id } } }),
    h.db.user.findUniqueOrThrow({ where: { id: h.user.id }, select: { creditBalance: true } }),
  ]);
  return { jobs, images, references, keys, events, user };
}

describe("another user's ids", () => {
  it('answer NOT_FOUND from every procedure, exactly as a missing id does, and change nothing', async () => {
    const server = await h.server();
    const before = await snapshotOfA();
    const matrix: [procedure: string, kind: 'query' | 'mutation', input: (id: string) => unknown, aId: string][] = [
      ['jobs.get', 'query', (id) => ({ id }), a.finished],
      ['jobs.events', 'query', (id) => ({ id }), a.finished],
      ['jobs.webhookDeliveries', 'query', (id) => ({ id }), a.finished],
      ['jobs.cancel', 'mutation', (id) => ({ id }), a.queued],
      ['jobs.retry', 'mutation', (id) => ({ id }), a.finished],
      ['jobs.batch', 'query', (batchId) => ({ batchId }), a.batchId],
      ['references.delete', 'mutation', (id) => ({ id }), a.referenceId],
      ['apiKeys.revoke', 'mutation', (id) => ({ id }), a.apiKeyId],
    ];
    for (const [procedure, kind, input, aId] of matrix) {
      const theirs = await callTrpc(server, procedure, input(aId), { kind, headers: stranger.headers });
      const missing = await callTrpc(server, procedure, input(MISSING), { kind, headers: stranger.headers });
      expect([procedure, theirs.status, theirs.error?.data.code]).toEqual([procedure, 404, 'NOT_FOUND']);
      // No existence leak: the answer for A's id is the answer for an id that does not exist.
      expect(theirs.error?.message.replace(aId, 'ID')).toBe(missing.error?.message.replace(MISSING, 'ID'));
    }
    expect(await snapshotOfA()).toEqual(before);
  });

  it("are absent from every list, and the same idempotency key makes B a job of B's own", async () => {
    const jobs = await stranger.caller.jobs.list({});
    expect(jobs.items).toEqual([]);
    expect(await stranger.caller.references.list()).toEqual([]);
    expect(await stranger.caller.apiKeys.list()).toHaveLength(1);
    const credits = await stranger.caller.credits.get();
    expect(credits.entries.every((entry) => entry.jobId === null)).toBe(true);
    const own = await stranger.caller.jobs.create({ prompt: 'a private lighthouse', idempotencyKey: 'shared-key' });
    expect(own.id).not.toBe(a.finished);
  });

  it('answer 404 from every REST route, exactly as a missing id does, and change nothing', async () => {
    const server = await h.server();
    const before = await snapshotOfA();
    const routes: [method: 'GET' | 'POST' | 'DELETE', path: (id: string) => string, aId: string][] = [
      ['GET', (id) => `/api/v1/jobs/${id}`, a.finished],
      ['GET', (id) => `/api/v1/jobs/${id}/webhook-deliveries`, a.finished],
      ['DELETE', (id) => `/api/v1/jobs/${id}`, a.queued],
      ['POST', (id) => `/api/v1/jobs/${id}/retry`, a.finished],
      ['POST', (id) => `/images/${id}/signed-url`, a.imageId],
      ['GET', (id) => `/images/${id}/thumbnail`, a.imageId],
    ];
    for (const [method, path, aId] of routes) {
      const theirs = await server.inject({ method, url: path(aId), headers: stranger.headers });
      const missing = await server.inject({ method, url: path(MISSING), headers: stranger.headers });
      expect([method, path(':id'), theirs.statusCode]).toEqual([method, path(':id'), 404]);
      expect(theirs.body.replace(aId, 'ID')).toBe(missing.body.replace(MISSING, 'ID'));
    }
    expect(await snapshotOfA()).toEqual(before);
  });

  it('answer 404 from the image and reference file routes', async () => {
    const server = await h.server();
    for (const url of [`/images/${a.imageId}`, `/references/${a.referenceId}/file`]) {
      const theirs = await server.inject({ method: 'GET', url, headers: stranger.headers });
      const owner = await server.inject({ method: 'GET', url, headers: h.headers });
      expect([url, theirs.statusCode, owner.statusCode]).toEqual([url, 404, 200]);
    }
  });
});

describe('admins', () => {
  it('may see and cancel any job (the owner gets the credits back), but list only their own', async () => {
    const admin = h.admin.caller;
    const balanceBefore = (await h.caller.credits.get()).balance;
    expect((await admin.jobs.get({ id: a.finished })).prompt).toBe('a private lighthouse');
    expect((await admin.jobs.events({ id: a.finished })).map((event) => event.type)).toContain('finished');
    const image = await (
      await h.server()
    ).inject({ method: 'GET', url: `/images/${a.imageId}`, headers: h.admin.headers });
    expect(image.statusCode).toBe(200);

    const canceled = await admin.jobs.cancel({ id: a.queued });
    expect(canceled.status).toBe('canceled');
    expect((await h.caller.credits.get()).balance).toBe(balanceBefore + 2);
    expect((await admin.jobs.list({})).items).toEqual([]);
  });

  it('alone may grant credits: anyone else gets FORBIDDEN and nothing changes', async () => {
    const before = await h.db.creditEntry.count();
    const error = await h.caller.credits.grant({ email: 'owner@darkroom.test', amount: 1000 }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'FORBIDDEN' });
    expect(await h.db.creditEntry.count()).toBe(before);
  });
});
