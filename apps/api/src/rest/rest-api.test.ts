import {
  ApiError,
  MAX_IMAGES_PER_JOB,
  type JobAccepted,
  type JobListView,
  type JobView,
  type QueueStatus,
} from '@darkroom/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, makeHarness, TEST_PASSWORD, type Harness } from '../../test/harness.js';
import { callTrpc, sessionCookieOf } from '../../test/http.js';

// The REST facade over HTTP (Fastify's inject: the whole HTTP stack), on a real database.
let h: Harness;
beforeAll(async () => {
  h = await makeHarness();
});
afterAll(() => h?.close());

const submit = (body: unknown, headers: Record<string, string> = {}) =>
  h.inject({ method: 'POST', url: '/api/v1/generations', payload: body as object, headers });

describe('REST /api/v1', () => {
  it('POST /generations answers 202 with the job id, status, queue position and wait, and a Location to follow', async () => {
    const response = await submit({ prompt: 'a lighthouse in the fog', numImages: 2 });

    expect(response.statusCode).toBe(202);
    const accepted = response.json<JobAccepted>();
    expect(Object.keys(accepted).sort()).toEqual(['estimatedWaitSeconds', 'jobId', 'queuePosition', 'status']);
    expect(accepted).toMatchObject({ status: 'queued', queuePosition: expect.any(Number) });
    expect(response.headers.location).toBe(`/api/v1/jobs/${accepted.jobId}`);
    const job = await h.inject({ method: 'GET', url: response.headers.location! });
    expect(job.statusCode).toBe(200);
    expect(job.json<JobView>()).toMatchObject({
      id: accepted.jobId,
      prompt: 'a lighthouse in the fog',
      numImages: 2,
      status: 'queued',
    });
  });

  it('rejects bad input with 400 and every field path with its limit', async () => {
    const response = await submit({ prompt: '   ', numImages: 99, priority: 'asap' });

    expect(response.statusCode).toBe(400);
    const { error } = response.json<{
      error: {
        code: string;
        message: string;
        details: { issues: { path: string[]; maximum?: number; values?: string[] }[] };
      };
    }>();
    expect(error.code).toBe('BAD_INPUT');
    const byPath = Object.fromEntries(error.details.issues.map((issue) => [issue.path.join('.'), issue]));
    expect(Object.keys(byPath).sort()).toEqual(['numImages', 'priority', 'prompt']);
    expect(byPath.numImages!.maximum).toBe(MAX_IMAGES_PER_JOB);
    expect(byPath.priority!.values).toEqual(['low', 'normal', 'high', 'urgent']);
    expect(error.message).toContain('prompt');
  });

  it('answers unparseable JSON and a malformed job id with 400 in the same error shape', async () => {
    const broken = await h.inject({
      method: 'POST',
      url: '/api/v1/generations',
      payload: '{"prompt":',
      headers: { 'content-type': 'application/json' },
    });
    const badId = await h.inject({ method: 'GET', url: '/api/v1/jobs/not-a-uuid' });

    expect([broken.statusCode, broken.json().error.code]).toEqual([400, 'BAD_INPUT']);
    expect([badId.statusCode, badId.json().error.code]).toEqual([400, 'BAD_INPUT']);
    expect(badId.json().error.details.issues[0].path).toEqual(['id']);
  });

  it('answers a path no route serves with 404 in the same error shape (a client folds /jobs/./retry to /jobs/retry)', async () => {
    for (const [method, url] of [
      ['POST', '/api/v1/jobs/retry'],
      ['GET', '/api/v1/no-such-thing'],
      ['POST', '/nothing/here'],
    ] as const) {
      const response = await h.inject({ method, url });
      expect([url, response.statusCode, ApiError.safeParse(response.json()).success]).toEqual([url, 404, true]);
      expect(response.json().error.code).toBe('NOT_FOUND');
    }
    // Under /v1, OpenAI's own shape for an unknown URL.
    const openAi = await h.inject({ method: 'POST', url: '/v1/images/nothing' });
    expect([openAi.statusCode, openAi.json()]).toEqual([
      404,
      {
        error: {
          message: 'Invalid URL (POST /v1/images/nothing)',
          type: 'invalid_request_error',
          param: null,
          code: null,
        },
      },
    ]);
  });

  it('answers 401 without credentials and with a revoked-looking key, in the error shape', async () => {
    const none = await (await h.server()).inject({ method: 'GET', url: '/api/v1/jobs' });
    const bad = await h.inject({
      method: 'GET',
      url: '/api/v1/queue',
      headers: { authorization: 'Bearer dk_00000000_nope' },
    });

    expect([none.statusCode, none.json().error.code]).toEqual([401, 'UNAUTHORIZED']);
    expect([bad.statusCode, bad.json().error.code]).toEqual([401, 'UNAUTHORIZED']);
  });

  it('accepts the web session cookie too, and refuses a cross-site mutation sent with it', async () => {
    const signIn = await callTrpc(await h.server(), 'auth.logIn', {
      email: 'owner@darkroom.test',
      password: TEST_PASSWORD,
    });
    const cookie = sessionCookieOf(signIn).split(';')[0]!;
    const server = await h.server();

    const list = await server.inject({ method: 'GET', url: '/api/v1/jobs?limit=1', headers: { cookie } });
    const crossSite = await server.inject({
      method: 'POST',
      url: '/api/v1/generations',
      headers: { cookie, origin: 'https://evil.example', 'content-type': 'application/json' },
      payload: JSON.stringify({ prompt: 'not from here' }),
    });

    expect(list.statusCode).toBe(200);
    expect(list.json<JobListView>().items).toHaveLength(1);
    expect(crossSite.statusCode).toBe(403);
  });

  it("answers 404 for an unknown job and for another user's job alike", async () => {
    const other = await h.makeUser('someone-else@darkroom.test');
    const theirs = (await submit({ prompt: 'private' }, other.headers)).json<JobAccepted>();

    const missing = await h.inject({ method: 'GET', url: '/api/v1/jobs/00000000-0000-4000-8000-000000000000' });
    const foreign = await h.inject({ method: 'GET', url: `/api/v1/jobs/${theirs.jobId}` });
    const foreignCancel = await h.inject({ method: 'DELETE', url: `/api/v1/jobs/${theirs.jobId}` });

    for (const response of [missing, foreign, foreignCancel])
      expect([response.statusCode, response.json().error.code]).toEqual([404, 'NOT_FOUND']);
  });

  it('GET /jobs pages with a cursor, newest first, and filters by status', async () => {
    const pager = await h.makeUser('pager@darkroom.test');
    const ids: string[] = [];
    for (const prompt of ['one', 'two', 'three'])
      ids.push((await submit({ prompt }, pager.headers)).json<JobAccepted>().jobId);

    const first = (
      await h.inject({ method: 'GET', url: '/api/v1/jobs?limit=2', headers: pager.headers })
    ).json<JobListView>();
    const second = (
      await h.inject({ method: 'GET', url: `/api/v1/jobs?limit=2&cursor=${first.nextCursor}`, headers: pager.headers })
    ).json<JobListView>();
    const canceled = (
      await h.inject({ method: 'GET', url: '/api/v1/jobs?status=canceled', headers: pager.headers })
    ).json<JobListView>();
    const tooMany = await h.inject({ method: 'GET', url: '/api/v1/jobs?limit=500', headers: pager.headers });

    expect(first.items.map((job) => job.id)).toEqual([ids[2], ids[1]]);
    expect(second.items.map((job) => job.id)).toEqual([ids[0]]);
    expect(second.nextCursor).toBeNull();
    expect(canceled.items).toEqual([]);
    expect([tooMany.statusCode, tooMany.json().error.details.issues[0].maximum]).toEqual([400, 100]);
  });

  it('DELETE cancels a queued job; a second DELETE is 409 INVALID_STATE; retry queues it again with 202', async () => {
    const idle = await h.makeUser('canceler@darkroom.test');
    // No worker runs yet in this file: the job stays queued.
    const { jobId } = (await submit({ prompt: 'changed my mind' }, idle.headers)).json<JobAccepted>();
    const canceled = await h.inject({ method: 'DELETE', url: `/api/v1/jobs/${jobId}`, headers: idle.headers });
    const again = await h.inject({ method: 'DELETE', url: `/api/v1/jobs/${jobId}`, headers: idle.headers });
    const retried = await h.inject({ method: 'POST', url: `/api/v1/jobs/${jobId}/retry`, headers: idle.headers });

    expect([canceled.statusCode, canceled.json<JobView>().status]).toEqual([200, 'canceled']);
    expect([again.statusCode, again.json().error.code]).toEqual([409, 'INVALID_STATE']);
    expect(retried.statusCode).toBe(202);
    expect(retried.headers.location).toBe(`/api/v1/jobs/${jobId}`);
    expect(retried.json<JobAccepted>()).toMatchObject({ jobId, status: 'queued' });
  });

  it('retry of a job that is still queued is 409 INVALID_STATE', async () => {
    const { jobId } = (await submit({ prompt: 'patience' })).json<JobAccepted>();
    const retried = await h.inject({ method: 'POST', url: `/api/v1/jobs/${jobId}/retry` });

    expect(retried.statusCode).toBe(409);
    expect(retried.json().error).toMatchObject({ code: 'INVALID_STATE', details: { status: 'queued' } });
  });

  it('the Idempotency-Key header makes a repeated submit return the same job', async () => {
    const first = (await submit({ prompt: 'only once' }, { 'idempotency-key': 'rest-key-1' })).json<JobAccepted>();
    const second = (await submit({ prompt: 'only once' }, { 'idempotency-key': 'rest-key-1' })).json<JobAccepted>();
    const conflict = await submit({ prompt: 'something else' }, { 'idempotency-key': 'rest-key-1' });

    expect(second.jobId).toBe(first.jobId);
    expect([conflict.statusCode, conflict.json().error.code]).toEqual([409, 'CONFLICT']);
  });

  it('GET /queue answers the queue status', async () => {
    const response = await h.inject({ method: 'GET', url: '/api/v1/queue' });

    expect(response.statusCode).toBe(200);
    expect(response.json<QueueStatus>()).toMatchObject({
      queueLength: expect.any(Number),
      running: expect.any(Number),
    });
  });
  it('a job submitted over REST is run by a worker and its finished view lists the images', async () => {
    await h.startWorker();
    const { jobId } = (await submit({ prompt: 'a red bicycle', numImages: 1 })).json<JobAccepted>();

    const done = await eventually(async () => {
      const view = (await h.inject({ method: 'GET', url: `/api/v1/jobs/${jobId}` })).json<JobView>();
      return view.status === 'succeeded' ? view : null;
    });
    expect(done.images[0]!.url).toMatch(/^\/images\//);
  });
});

describe('REST limits', () => {
  let poor: Harness;
  beforeAll(async () => {
    poor = await makeHarness({ settings: { startingCredits: 3, submitsPerMinute: 2 } });
  });
  afterAll(() => poor?.close());

  it('answers 402 when credits are short (with balance and cost), then 429 with Retry-After past the submit rate', async () => {
    const post = (numImages: number) =>
      poor.inject({ method: 'POST', url: '/api/v1/generations', payload: { prompt: 'on a budget', numImages } });

    const tooDear = await post(8);
    const fine = await post(1);
    const tooFast = await post(1);

    expect(tooDear.statusCode).toBe(402);
    expect(tooDear.json().error).toMatchObject({ code: 'INSUFFICIENT_CREDITS', details: { balance: 3, cost: 8 } });
    expect(fine.statusCode).toBe(202);
    expect(tooFast.statusCode).toBe(429);
    expect(tooFast.json().error.code).toBe('RATE_LIMITED');
    expect(Number(tooFast.headers['retry-after'])).toBeGreaterThan(0);
  });
});
