import { makeJob } from '@darkroom/db/testing';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeHarness, type Harness } from '../test/harness.js';
import { LEAN_MUTATIONS, LEAN_QUERIES } from './trpc-lean-calls.js';

let h: Harness;
let server: FastifyInstance;
beforeAll(async () => {
  h = await makeHarness();
  server = await h.server();
});
afterAll(() => h.close());

const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

/**
 * The same call down both roads: the lean route (`GET /trpc/<path>?input=`) and tRPC's own adapter
 * (a batch of one, which the lean route hands over untouched). Status, body and the headers a client
 * reads must match.
 */
async function bothRoads(path: string, input: unknown, headers: Record<string, string>) {
  const encoded = input === undefined ? undefined : encodeURIComponent(JSON.stringify(input));
  const lean = await server.inject({
    method: 'GET',
    url: `/trpc/${path}${encoded === undefined ? '' : `?input=${encoded}`}`,
    headers,
  });
  const batched = await server.inject({
    method: 'GET',
    url: `/trpc/${path}?batch=1${encoded === undefined ? '' : `&input=${encodeURIComponent(`{"0":${JSON.stringify(input)}}`)}`}`,
    headers,
  });
  const pick = (response: typeof lean) => ({
    contentType: response.headers['content-type'],
    vary: response.headers.vary,
    retryAfter: response.headers['retry-after'],
  });
  return {
    lean: { status: lean.statusCode, body: lean.json() as Record<string, unknown>, headers: pick(lean) },
    adapter: {
      status: batched.statusCode,
      body: (batched.json() as Record<string, unknown>[])[0]!,
      headers: pick(batched),
    },
  };
}

describe('the lean road for polled queries and the submit', () => {
  it('serves the polled queries and the submit', () => {
    expect([LEAN_QUERIES, LEAN_MUTATIONS]).toEqual([['jobs.get', 'jobs.list', 'queue.status'], ['jobs.create']]);
  });

  it("answers as tRPC's adapter does: own job, another user's, missing, hostile ids, no key, bad key", async () => {
    const mine = await makeJob({ db: h.db, user: h.user, request: { prompt: 'mine' } });
    const other = await h.makeUser('lean-other@example.com');
    const theirs = await makeJob({ db: h.db, user: other.user, request: { prompt: 'theirs' } });
    const cases: [unknown, Record<string, string>, number][] = [
      [{ id: mine.id }, h.headers, 200],
      [{ id: theirs.id }, h.headers, 404],
      [{ id: '00000000-0000-4000-8000-000000000000' }, h.headers, 404],
      [{ id: "' or 1=1 --" }, h.headers, 400],
      [{ id: `${theirs.id}' or '1'='1` }, h.headers, 400],
      [{ id: 'x'.repeat(5000) }, h.headers, 400],
      [{ id: 'nul\u0000byte' }, h.headers, 400],
      [{ id: 42 }, h.headers, 400],
      [[mine.id], h.headers, 400],
      [null, h.headers, 400],
      [undefined, h.headers, 400],
      [{ id: mine.id, extra: { deep: [1, 2, 3] } }, h.headers, 200],
      [{ id: mine.id }, {}, 401],
      [{ id: mine.id }, bearer(`dk_00000000_${'A'.repeat(43)}`), 401],
      [{ id: mine.id }, { authorization: 'Basic abc' }, 401],
      [{ id: theirs.id }, other.headers, 200],
      // An admin reads any job.
      [{ id: theirs.id }, h.admin.headers, 200],
    ];
    for (const [input, headers, status] of cases) {
      const { lean, adapter } = await bothRoads('jobs.get', input, headers);
      expect({ input, ...lean }).toEqual({ input, ...adapter });
      expect([input, lean.status]).toEqual([input, status]);
    }
  });

  it('refuses a key at once after it is revoked', async () => {
    const { key, apiKey } = await h.caller.apiKeys.create({ name: 'lean revoke' });
    const job = await makeJob({ db: h.db, user: h.user, request: { prompt: 'revoke me' } });
    expect((await bothRoads('jobs.get', { id: job.id }, bearer(key))).lean.status).toBe(200);
    await h.caller.apiKeys.revoke({ id: apiKey.id });
    const { lean, adapter } = await bothRoads('jobs.get', { id: job.id }, bearer(key));
    expect(lean).toEqual(adapter);
    expect(lean.status).toBe(401);
  });

  it('answers jobs.list and queue.status as the adapter does, filters and bad input included', async () => {
    const cases: [string, unknown][] = [
      ['jobs.list', {}],
      ['jobs.list', undefined],
      ['jobs.list', { limit: 2, status: 'queued' }],
      ['jobs.list', { limit: 100_000 }],
      ['jobs.list', { cursor: 'not-a-uuid' }],
      ['jobs.list', { search: 'mine' }],
      ['queue.status', undefined],
    ];
    for (const [path, input] of cases) {
      const { lean, adapter } = await bothRoads(path, input, h.headers);
      // Queue places and waits are the same within a moment; versions and times come from the rows.
      expect({ path, input, ...lean }).toEqual({ path, input, ...adapter });
    }
  });

  it('hands what it does not take to the adapter: input that is not JSON, HEAD, a stream request', async () => {
    const broken = await server.inject({ method: 'GET', url: '/trpc/jobs.get?input=%7Bnot-json', headers: h.headers });
    const brokenBatch = await server.inject({
      method: 'GET',
      url: `/trpc/jobs.get?batch=1&input=${encodeURIComponent('{"0":{not-json')}`,
      headers: h.headers,
    });
    expect(broken.statusCode).toBe(400);
    // The same refusal (the message's character position differs: the batch wraps the input).
    type Refusal = { error: { message: string; data: unknown } };
    const [one, batched] = [broken.json() as Refusal, (brokenBatch.json() as Refusal[])[0]!];
    expect(one.error.data).toEqual(batched.error.data);
    expect(one.error.message).toMatch(/JSON/);
    const head = await server.inject({ method: 'HEAD', url: '/trpc/jobs.get', headers: h.headers });
    expect(head.statusCode).toBe(204);
    const streamed = await server.inject({
      method: 'GET',
      url: `/trpc/jobs.list?input=${encodeURIComponent('{}')}`,
      headers: { ...h.headers, 'trpc-accept': 'application/jsonl' },
    });
    expect(streamed.statusCode).toBe(400);
  });

  it('sends the answer whole, with its length', async () => {
    const job = await makeJob({ db: h.db, user: h.user, request: { prompt: 'whole' } });
    const response = await server.inject({
      method: 'GET',
      url: `/trpc/jobs.get?input=${encodeURIComponent(JSON.stringify({ id: job.id }))}`,
      headers: h.headers,
    });
    expect(response.headers['content-length']).toBe(String(Buffer.byteLength(response.body)));
    expect(response.headers['transfer-encoding']).toBeUndefined();
  });

  it('submits as the adapter does: a good job, bad and hostile input, no key, a body that is not JSON', async () => {
    const post = (url: string, payload: string, headers: Record<string, string>) =>
      server.inject({ method: 'POST', url, payload, headers: { 'content-type': 'application/json', ...headers } });
    const both = async (payload: string, headers: Record<string, string>) => {
      const lean = await post('/trpc/jobs.create', payload, headers);
      const batched = await post('/trpc/jobs.create?batch=1', `{"0":${payload}}`, headers);
      return [
        { status: lean.statusCode, body: lean.json() as Record<string, unknown>, vary: lean.headers.vary },
        {
          status: batched.statusCode,
          body: (batched.json() as Record<string, unknown>[])[0]!,
          vary: batched.headers.vary,
        },
      ] as const;
    };
    const refusals: [string, Record<string, string>, number][] = [
      [JSON.stringify({ prompt: '' }), h.headers, 400],
      [JSON.stringify({ prompt: 'x'.repeat(100_000) }), h.headers, 400],
      [JSON.stringify({ prompt: 'nul \u0000 inside' }), h.headers, 400],
      [JSON.stringify({ prompt: 'a fox', numImages: 1e9 }), h.headers, 400],
      [JSON.stringify({ prompt: 'a fox', provider: "'; drop table jobs; --" }), h.headers, 400],
      ['{"prompt":"a fox","__proto__":{"role":"admin"}}', {}, 401],
      ['null', h.headers, 400],
      ['[1,2]', h.headers, 400],
      [JSON.stringify({ prompt: 'a fox' }), {}, 401],
      [JSON.stringify({ prompt: 'a fox' }), bearer(`dk_00000000_${'A'.repeat(43)}`), 401],
    ];
    const before = await h.db.job.count();
    for (const [payload, headers, status] of refusals) {
      const [lean, adapter] = await both(payload, headers);
      expect({ payload: payload.slice(0, 80), ...lean }).toEqual({ payload: payload.slice(0, 80), ...adapter });
      expect([payload.slice(0, 80), lean.status]).toEqual([payload.slice(0, 80), status]);
    }
    expect(await h.db.job.count()).toBe(before);

    const [made, madeByAdapter] = await both(JSON.stringify({ prompt: 'a lean fox', numImages: 2 }), h.headers);
    expect([made.status, madeByAdapter.status]).toEqual([200, 200]);
    const view = (answer: typeof made) => (answer.body as { result: { data: { id: string } } }).result.data;
    expect(Object.keys(view(made)).sort()).toEqual(Object.keys(view(madeByAdapter)).sort());
    expect(await h.caller.jobs.get({ id: view(made).id })).toMatchObject({ prompt: 'a lean fox', numImages: 2 });

    // Not JSON, or no body: tRPC's own reading refuses it, as before.
    const broken = await post('/trpc/jobs.create', '{"prompt": ', h.headers);
    expect([broken.statusCode, (broken.json() as { error: { data: { code: string } } }).error.data.code]).toEqual([
      400,
      'BAD_REQUEST',
    ]);
    const empty = await server.inject({ method: 'POST', url: '/trpc/jobs.create', headers: h.headers });
    const emptyByAdapter = await server.inject({ method: 'POST', url: '/trpc/jobs.createBatch', headers: h.headers });
    expect(empty.statusCode).toBe(emptyByAdapter.statusCode);
    expect(await h.db.job.count()).toBe(before + 2);
  });

  it('builds no fetch Request for what it answers itself (the cost it exists to save)', async () => {
    const job = await makeJob({ db: h.db, user: h.user, request: { prompt: 'counted' } });
    const Original = globalThis.Request;
    let built = 0;
    globalThis.Request = class extends Original {
      constructor(...args: ConstructorParameters<typeof Request>) {
        super(...args);
        built++;
      }
    };
    try {
      const input = encodeURIComponent(JSON.stringify({ id: job.id }));
      const lean = await server.inject({ method: 'GET', url: `/trpc/jobs.get?input=${input}`, headers: h.headers });
      const created = await server.inject({
        method: 'POST',
        url: '/trpc/jobs.create',
        payload: JSON.stringify({ prompt: 'counted too' }),
        headers: { ...h.headers, 'content-type': 'application/json' },
      });
      expect([lean.statusCode, created.statusCode, built]).toEqual([200, 200, 0]);
      const batched = await server.inject({
        method: 'GET',
        url: `/trpc/jobs.get?batch=1&input=${encodeURIComponent(`{"0":${JSON.stringify({ id: job.id })}}`)}`,
        headers: h.headers,
      });
      expect([batched.statusCode, built]).toEqual([200, 1]);
    } finally {
      globalThis.Request = Original;
    }
  });
});
