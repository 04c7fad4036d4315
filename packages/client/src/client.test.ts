import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { loadApiConfig, startApi, type RunningApi } from '@darkroom/api';
import { DOMAIN_ERRORS, EXIT_CODES, type JobView } from '@darkroom/core';
import { createTestDatabase, type TestDatabase } from '@darkroom/db/testing';
import { loadWorkerConfig, startWorker, type RunningWorker } from '@darkroom/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDarkroomClient, darkroomErrorOf, retryAfterMs } from './index.js';

// A real API and worker on a fresh database, reached over HTTP like any program would.
let database: TestDatabase;
let api: RunningApi;
let worker: RunningWorker;
let apiKey: string;
const storageDir = mkdtempSync(path.join(os.tmpdir(), 'darkroom-client-test-'));
beforeAll(async () => {
  database = await createTestDatabase();
  const env = {
    DATABASE_URL: database.url,
    STORAGE_DIR: storageDir,
    PORT: '0',
    LOG_LEVEL: 'silent',
    POLL_INTERVAL_MS: '200',
  };
  worker = await startWorker(loadWorkerConfig(env));
  api = await startApi(loadApiConfig(env));
  apiKey = await signUpForKey(api.url);
});

/** Signs up over HTTP (session cookie) and creates an API key with that session, as a newcomer would. */
async function signUpForKey(url: string, email = 'client@example.com'): Promise<string> {
  const signUp = await fetch(`${url}/trpc/auth.signUp`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password: 'a long enough password' }),
  });
  const cookie = signUp.headers.get('set-cookie')!.split(';')[0]!;
  const created = await fetch(`${url}/trpc/apiKeys.create`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', cookie },
    body: JSON.stringify({ name: 'client tests' }),
  });
  return ((await created.json()) as { result: { data: { key: string } } }).result.data.key;
}
afterAll(async () => {
  await api?.close();
  await worker?.stop();
  await database?.drop();
  rmSync(storageDir, { recursive: true, force: true });
});

describe('the typed client', () => {
  it('generate() submits, follows the job with backoff and returns the finished images', async () => {
    const darkroom = createDarkroomClient({ url: api.url, apiKey });
    const seen: JobView[] = [];
    const job = await darkroom.generate(
      { prompt: 'a paper boat on a pond', numImages: 3, preset: 'coloring-page' },
      { onProgress: (view) => seen.push(view), backoff: { initialMs: 50, maxMs: 200 } },
    );

    expect(job.status).toBe('succeeded');
    expect(job.images.filter((image) => image.url)).toHaveLength(3);
    const progress = seen.map((view) => view.progress);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
    const image = await fetch(`${api.url}${job.images[0]!.url}`, { headers: { authorization: `Bearer ${apiKey}` } });
    expect(image.headers.get('content-type')).toBe('image/png');
  });

  it('schedules with notBefore, and a refused schedule is a typed error naming its field', async () => {
    const darkroom = createDarkroomClient({ url: api.url, apiKey });
    const notBefore = new Date(Date.now() + 3_600_000).toISOString();
    const quote = await darkroom.quote({ prompt: 'an hour from now', notBefore });
    expect(quote.estimatedWaitSeconds).toBeGreaterThan(3500);
    const job = await darkroom.submit({ prompt: 'an hour from now', notBefore });
    expect([job.status, job.notBefore]).toEqual(['queued', notBefore]);
    await darkroom.trpc.jobs.cancel.mutate({ id: job.id });

    const refused = darkroomErrorOf(
      await darkroom.submit({ prompt: 'late?', rejectIfLate: true }).catch((error: unknown) => error),
    );
    expect([refused.code, refused.details.field]).toEqual(['BAD_INPUT', 'rejectIfLate']);
  });

  it('quote() answers the cost of a long prompt without submitting it', async () => {
    const darkroom = createDarkroomClient({ url: api.url, apiKey });
    const before = (await darkroom.trpc.jobs.list.query({})).items.length;
    // The longest prompt there is travels in the body, whatever a URL could hold.
    const quote = await darkroom.quote({ prompt: 'ä'.repeat(4000), numImages: 3 });
    expect(quote).toMatchObject({ credits: 3, pricePerImage: 1, affordable: true });
    expect((await darkroom.trpc.jobs.list.query({})).items.length).toBe(before);
  });

  it('wait() gives up after timeoutMs on a job that cannot finish in time, and can wait again', async () => {
    const darkroom = createDarkroomClient({ url: api.url, apiKey });
    const job = await darkroom.submit({ prompt: 'slow enough', numImages: 8 });
    await expect(darkroom.wait(job.id, { timeoutMs: 1, backoff: { initialMs: 50 } })).rejects.toThrow(
      /did not finish within 1 ms/,
    );
    expect((await darkroom.wait(job.id, { backoff: { initialMs: 50, maxMs: 200 } })).status).toBe('succeeded');
  });

  it('wait() stops when its signal aborts', async () => {
    const darkroom = createDarkroomClient({ url: api.url, apiKey });
    const job = await darkroom.submit({ prompt: 'abandoned', numImages: 8 });
    const controller = new AbortController();
    const waiting = darkroom.wait(job.id, { signal: controller.signal, backoff: { initialMs: 50 } });
    controller.abort(new Error('user left'));
    await expect(waiting).rejects.toThrow('user left');
  });

  it('is refused without an API key, and with a revoked one', async () => {
    const anonymous = createDarkroomClient({ url: api.url });
    expect(
      ((await anonymous.submit({ prompt: 'who am I' }).catch((e: unknown) => e)) as { data?: { code?: string } }).data
        ?.code,
    ).toBe('UNAUTHORIZED');
    const darkroom = createDarkroomClient({ url: api.url, apiKey });
    const { key, apiKey: view } = await darkroom.trpc.apiKeys.create.mutate({ name: 'short-lived' });
    const shortLived = createDarkroomClient({ url: api.url, apiKey: key });
    expect((await shortLived.trpc.auth.me.query()).email).toBe('client@example.com');
    await darkroom.trpc.apiKeys.revoke.mutate({ id: view.id });
    const error = (await shortLived.submit({ prompt: 'too late' }).catch((e: unknown) => e)) as {
      data?: { code?: string };
      message?: string;
    };
    expect([error.data?.code, error.message]).toEqual([
      'UNAUTHORIZED',
      'this API key is not valid (revoked, or never issued)',
    ]);
  });

  it('surfaces bad input as a typed BAD_REQUEST', async () => {
    const darkroom = createDarkroomClient({ url: api.url, apiKey });
    const error = await darkroom.submit({ prompt: '' }).catch((e: unknown) => e);
    expect((error as { data?: { code?: string } }).data?.code).toBe('BAD_REQUEST');
  });
});

describe('live updates', () => {
  let other: RunningApi;
  beforeAll(async () => {
    // A second API process on the same database: subscribers there hear what happens anywhere.
    other = await startApi(
      loadApiConfig({ DATABASE_URL: database.url, STORAGE_DIR: storageDir, PORT: '0', LOG_LEVEL: 'silent' }),
    );
  });
  afterAll(() => other?.close());

  it('streams a job submitted through one API process to a subscriber on another, until it ends', async () => {
    const submitter = createDarkroomClient({ url: api.url, apiKey });
    const watcher = createDarkroomClient({ url: other.url, apiKey });
    const job = await submitter.submit({ prompt: 'a kite over the dunes', numImages: 3 });
    const seen: { id: string; view: JobView }[] = [];

    await new Promise<void>((resolve, reject) => {
      watcher.trpc.jobs.onUpdate.subscribe(
        { id: job.id },
        { onData: ({ id, data }) => seen.push({ id, view: data }), onComplete: resolve, onError: reject },
      );
    });

    const views = seen.map(({ view }) => view);
    expect(views.at(-1)!.status).toBe('succeeded');
    // Each image's progress arrived as its own update (a poll every few seconds would miss them).
    expect(new Set(views.map((view) => view.progress)).size).toBeGreaterThanOrEqual(3);
    expect(views.map((view) => view.progress)).toEqual(views.map((view) => view.progress).sort((a, b) => a - b));
    expect(new Set(seen.map(({ id }) => id)).size).toBe(seen.length);
  });

  it('resumes from lastEventId without resending what the client has', async () => {
    const darkroom = createDarkroomClient({ url: other.url, apiKey });
    const job = await darkroom.submit({
      prompt: 'resumed later',
      numImages: 1,
      startBy: new Date(Date.now() + 60_000).toISOString(),
    });
    await darkroom.wait(job.id);
    const first = await collect(darkroom, job.id, null);
    expect(first).toHaveLength(1);

    const resumed = await collect(darkroom, job.id, first[0]!.id);

    expect(resumed).toEqual([]);
  });

  it("feeds every change of the caller's jobs on one stream", async () => {
    const darkroom = createDarkroomClient({ url: other.url, apiKey });
    const finished = new Map<string, JobView>();
    let ids: string[] = [];
    const all = new Promise<void>((resolve, reject) => {
      const subscription = darkroom.trpc.jobs.feed.subscribe(undefined, {
        onStarted: () => {
          Promise.all(
            [1, 2].map((n) =>
              createDarkroomClient({ url: api.url, apiKey }).submit({ prompt: `feed ${n}`, numImages: 1 }),
            ),
          ).then((submitted) => {
            ids = submitted.map((job) => job.id);
          }, reject);
        },
        onData: ({ data }) => {
          if (data.status === 'succeeded') finished.set(data.id, data);
          if (ids.length === 2 && ids.every((id) => finished.has(id))) {
            subscription.unsubscribe();
            resolve();
          }
        },
        onError: reject,
      });
    });
    await all;
    expect([...finished.keys()]).toEqual(expect.arrayContaining(ids));
  });

  it('answers NOT_FOUND on the stream for a job that does not exist', async () => {
    const darkroom = createDarkroomClient({ url: other.url, apiKey });
    const error = await new Promise<unknown>((resolve) => {
      darkroom.trpc.jobs.onUpdate.subscribe(
        { id: '00000000-0000-7000-8000-000000000000' },
        { onError: resolve, onData: () => resolve(null) },
      );
    });
    expect((error as { data?: { code?: string } }).data?.code).toBe('NOT_FOUND');
  });

  it('wait() falls back to polling with backoff behind a proxy that drops the live stream', async () => {
    const target = new URL(api.url);
    let streamsRefused = 0;
    let polls = 0;
    const forward = async (request: http.IncomingMessage, response: http.ServerResponse) => {
      if (request.url?.startsWith('/trpc/jobs.onUpdate')) {
        streamsRefused++;
        response.writeHead(502).end('streaming not supported here');
        return;
      }
      if (request.url?.includes('jobs.get')) polls++;
      const chunks: Buffer[] = [];
      for await (const chunk of request) chunks.push(chunk as Buffer);
      const upstream = await fetch(new URL(request.url!, target), {
        method: request.method!,
        headers: {
          'content-type': request.headers['content-type'] ?? 'application/json',
          authorization: request.headers.authorization ?? '',
        },
        ...(chunks.length > 0 ? { body: Buffer.concat(chunks) } : {}),
      });
      response.writeHead(upstream.status, {
        'content-type': upstream.headers.get('content-type') ?? 'application/json',
      });
      response.end(Buffer.from(await upstream.arrayBuffer()));
    };
    const proxy = http.createServer((request, response) => {
      // `void`: an upstream that fails ends this one response, which the client under test sees as a dropped connection.
      void forward(request, response).catch((error: unknown) => response.destroy(error as Error));
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    try {
      const darkroom = createDarkroomClient({
        url: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`,
        apiKey,
      });
      const job = await darkroom.generate(
        { prompt: 'behind a strict proxy', numImages: 2 },
        { backoff: { initialMs: 50, maxMs: 200 } },
      );
      expect(job.status).toBe('succeeded');
      expect(streamsRefused).toBeGreaterThanOrEqual(1);
      expect(polls).toBeGreaterThanOrEqual(1);
    } finally {
      await new Promise((resolve) => proxy.close(resolve));
    }
  });
});

describe('429 Too Many Requests', () => {
  let capped: RunningApi;
  beforeAll(async () => {
    // One active job per user: a second submit is refused with Retry-After (5 s) until the first ends.
    capped = await startApi(
      loadApiConfig({
        DATABASE_URL: database.url,
        STORAGE_DIR: storageDir,
        PORT: '0',
        LOG_LEVEL: 'silent',
        MAX_ACTIVE_JOBS_PER_USER: '1',
      }),
    );
  });
  afterAll(() => capped?.close());

  /** Real fetch, recording each answer's status. */
  function recordingFetch(statuses: number[]): typeof fetch {
    return async (input, init) => {
      const response = await fetch(input, init);
      statuses.push(response.status);
      return response;
    };
  }

  it('waits out Retry-After and sends the refused request again', async () => {
    const key = await signUpForKey(capped.url, 'patient@example.com');
    const statuses: number[] = [];
    const darkroom = createDarkroomClient({ url: capped.url, apiKey: key, fetch: recordingFetch(statuses) });

    const first = await darkroom.submit({ prompt: 'first in line' });
    const second = await darkroom.submit({ prompt: 'second in line' });

    expect(second.id).not.toBe(first.id);
    expect(statuses).toContain(429);
    expect(statuses.at(-1)).toBe(200);
  });

  it('surfaces the 429 as TOO_MANY_REQUESTS when retries are off or Retry-After is longer than maxWaitMs', async () => {
    const key = await signUpForKey(capped.url, 'hasty@example.com');
    const noRetries = createDarkroomClient({ url: capped.url, apiKey: key, rateLimit: { retries: 0 } });
    const impatient = createDarkroomClient({ url: capped.url, apiKey: key, rateLimit: { maxWaitMs: 1000 } });
    await noRetries.submit({ prompt: 'hogging the slot', numImages: 8 });

    const errors = await Promise.all(
      [noRetries, impatient].map((client) => client.submit({ prompt: 'refused' }).catch((e: unknown) => e)),
    );

    for (const error of errors) expect((error as { data?: { code?: string } }).data?.code).toBe('TOO_MANY_REQUESTS');
  });

  it('retryAfterMs reads delta-seconds and HTTP dates', () => {
    expect(retryAfterMs('5')).toBe(5000);
    expect(retryAfterMs(null)).toBeNull();
    expect(retryAfterMs('soon')).toBeNull();
    expect(retryAfterMs(new Date(Date.now() - 1000).toUTCString())).toBe(0);
  });
});

/** Everything one subscription sends before the server ends it. */
function collect(darkroom: ReturnType<typeof createDarkroomClient>, id: string, lastEventId: string | null) {
  return new Promise<{ id: string; data: JobView }[]>((resolve, reject) => {
    const events: { id: string; data: JobView }[] = [];
    darkroom.trpc.jobs.onUpdate.subscribe(
      { id, lastEventId },
      { onData: (event) => events.push(event), onComplete: () => resolve(events), onError: reject },
    );
  });
}

describe('darkroomErrorOf', () => {
  it("reads a real refusal with the error table's values: canceling a finished job is INVALID_STATE, 409, exit 6", async () => {
    const darkroom = createDarkroomClient({ url: api.url, apiKey });
    const job = await darkroom.generate({ prompt: 'finished before the cancel', provider: 'mock' });
    const error = await darkroom.trpc.jobs.cancel.mutate({ id: job.id }).catch((e: unknown) => e);

    const read = darkroomErrorOf(error);
    expect(read).toMatchObject({
      code: 'INVALID_STATE',
      httpStatus: DOMAIN_ERRORS.INVALID_STATE.httpStatus,
      details: { status: job.status },
    });
    expect(read.httpStatus).toBe(409);
    expect(read.exitCode).toBe(EXIT_CODES.INVALID_STATE);
    expect(read.retryable).toBe(false);
  });

  it('reads bad input with its field issues, an unknown job, and a missing key', async () => {
    const darkroom = createDarkroomClient({ url: api.url, apiKey });
    const bad = darkroomErrorOf(await darkroom.submit({ prompt: 'p', numImages: 99 }).catch((e: unknown) => e));
    const unknown = darkroomErrorOf(
      await darkroom.trpc.jobs.get.query({ id: '00000000-0000-4000-8000-000000000001' }).catch((e: unknown) => e),
    );
    const anonymous = darkroomErrorOf(
      await createDarkroomClient({ url: api.url })
        .submit({ prompt: 'p' })
        .catch((e: unknown) => e),
    );

    expect(bad).toMatchObject({ code: 'BAD_INPUT', httpStatus: 400, exitCode: EXIT_CODES.USAGE });
    expect(bad.issues.map((issue) => issue.path)).toEqual([['numImages']]);
    expect(unknown).toMatchObject({ code: 'NOT_FOUND', httpStatus: 404, exitCode: EXIT_CODES.NOT_FOUND });
    expect(anonymous).toMatchObject({ code: 'UNAUTHORIZED', httpStatus: 401, exitCode: EXIT_CODES.AUTH });
  });

  it('tells no answer at all from an answer', async () => {
    // A port that was just free: nothing listens there.
    const server = http.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise((resolve) => server.close(resolve));
    const error = await createDarkroomClient({ url: `http://127.0.0.1:${port}`, apiKey })
      .trpc.jobs.list.query({})
      .catch((e: unknown) => e);

    expect(darkroomErrorOf(error)).toMatchObject({
      code: 'UNREACHABLE',
      httpStatus: null,
      retryable: true,
      exitCode: EXIT_CODES.UNAVAILABLE,
    });
    expect(darkroomErrorOf(error).message).toMatch(/^cannot reach Darkroom: /);
  });
});
