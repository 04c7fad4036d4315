import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findUnstorableText } from './storable-text.js';
import { makeHarness, type Harness } from '../test/harness.js';

let h: Harness;
beforeAll(async () => {
  h = await makeHarness();
});
afterAll(() => h.close());

const NUL = 'a\u0000b';
const LONE_SURROGATE = 'x\ud800y';
const rows = async () => ({ jobs: await h.db.job.count(), keys: await h.db.apiKey.count() });

describe('text Postgres cannot store is a bad request on every surface, never a 500', () => {
  it('tRPC: a NUL in a prompt, a search, a key name; a lone surrogate in metadata: 400 with the field path', async () => {
    const before = await rows();
    const calls = [
      { url: '/trpc/jobs.create', payload: { prompt: NUL, provider: 'mock' }, path: ['prompt'] },
      {
        url: '/trpc/jobs.create',
        payload: { prompt: 'ok', provider: 'mock', metadata: { note: LONE_SURROGATE } },
        path: ['metadata', 'note'],
      },
      {
        url: '/trpc/jobs.create',
        payload: { prompt: 'ok', provider: 'mock', idempotencyKey: NUL },
        path: ['idempotencyKey'],
      },
      { url: '/trpc/apiKeys.create', payload: { name: NUL }, path: ['name'] },
    ];
    for (const call of calls) {
      const response = await h.inject({
        method: 'POST',
        url: call.url,
        headers: { 'content-type': 'application/json' },
        payload: JSON.stringify(call.payload),
      });
      expect(response.statusCode, call.url).toBe(400);
      expect(response.json().error.data.zodIssues?.[0]?.path, response.body.slice(0, 800)).toEqual(call.path);
    }
    const search = await h.inject({
      method: 'GET',
      url: `/trpc/jobs.list?input=${encodeURIComponent(JSON.stringify({ search: NUL }))}`,
    });
    expect(search.statusCode).toBe(400);
    expect(await rows()).toEqual(before);
  });

  it('REST and the OpenAI-compatible route: 400 in their own error shapes, nothing created', async () => {
    const before = await rows();
    const rest = await h.inject({
      method: 'POST',
      url: '/api/v1/generations',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ prompt: NUL, provider: 'mock' }),
    });
    expect(rest.statusCode).toBe(400);
    expect(rest.json().error).toMatchObject({ code: 'BAD_INPUT', details: { issues: [{ path: ['prompt'] }] } });
    const list = await h.inject({ method: 'GET', url: '/api/v1/jobs?search=%00' });
    expect([list.statusCode, list.json().error.code]).toEqual([400, 'BAD_INPUT']);
    const openAi = await h.inject({
      method: 'POST',
      url: '/v1/images/generations',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ prompt: NUL, model: 'mock' }),
    });
    expect(openAi.statusCode).toBe(400);
    expect(openAi.json().error).toMatchObject({
      type: 'invalid_request_error',
      param: 'prompt',
      code: 'invalid_value',
    });
    expect(await rows()).toEqual(before);
  });

  it('finds NUL and unpaired surrogates in keys and at any depth, and lets paired surrogates (emoji) through', () => {
    expect(findUnstorableText({ ok: ['🐉', { 'k\u0000': 1 }] })).toEqual(['ok', 1, 'k\u0000']);
    expect(findUnstorableText({ a: '\udfff' })).toEqual(['a']);
    expect(findUnstorableText({ a: '🐉 dragon', b: [1, null, true] })).toBeNull();
    let deep: unknown = NUL;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(findUnstorableText(deep)).toHaveLength(100_000);
  });
});

describe('the same check on the parts of a /trpc request tRPC does not parse', () => {
  it('a NUL in a batch path or a body that is only a NUL string is 400 in tRPC shape, not a 500', async () => {
    const batch = await h.inject({ method: 'GET', url: '/trpc/stats.me,%00?batch=1&input=%7B%7D' });
    expect(batch.statusCode).toBe(400);
    expect(batch.json().error.data).toMatchObject({
      code: 'BAD_REQUEST',
      httpStatus: 400,
      zodIssues: [{ path: ['path'] }],
    });
    const body = await h.inject({
      method: 'POST',
      url: '/trpc/auth.logIn',
      headers: { 'content-type': 'application/json' },
      payload: '\u0000',
    });
    expect(body.statusCode).toBe(400);
    expect(body.json().error.data.code).toBe('BAD_REQUEST');
  });
});
