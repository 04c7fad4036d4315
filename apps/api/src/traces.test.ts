import { startFakeOpenAI, type FakeOpenAI } from '@darkroom/providers/testing';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from '@darkroom/telemetry/testing';
import type { RunningWorker } from '@darkroom/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, makeHarness, type Harness } from '../test/harness.js';
import { loadApiConfig } from './env.js';
import { startApi, type RunningApi } from './start.js';

// A real API (startApi: its env, its listening socket) and a real worker beside it, both exporting to a
// local OTLP receiver: one job's trace, from the HTTP request to the stored file.
const SECRET_WORDS = 'xyzzy plover lighthouse';
const VENDOR_KEY = 'sk-otel-test-key-0123456789';

let h: Harness;
let receiver: OtlpReceiver;
let vendor: FakeOpenAI;
let api: RunningApi;
let worker: RunningWorker;

beforeAll(async () => {
  h = await makeHarness();
  receiver = await startOtlpReceiver();
  vendor = await startFakeOpenAI({ apiKey: VENDOR_KEY });
  const otel = {
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    OTEL_BSP_SCHEDULE_DELAY: '50',
  };
  const providers = { PROVIDERS_ENABLED: 'local,openai' };
  api = await startApi(
    loadApiConfig({
      DATABASE_URL: h.url,
      STORAGE_DIR: h.storageDir,
      HOST: '127.0.0.1',
      PORT: '0',
      LOG_LEVEL: 'silent',
      ...providers,
      ...otel,
    }),
  );
  worker = await h.startWorker({ ...providers, OPENAI_API_KEY: VENDOR_KEY, OPENAI_BASE_URL: vendor.baseUrl, ...otel });
});
afterAll(async () => {
  await worker?.stop();
  await api?.close();
  await h?.close();
  await vendor?.close();
  await receiver?.close();
});

const call = (method: string, path: string, body?: unknown) =>
  fetch(`${api.url}${path}`, {
    method,
    headers: { ...h.headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });

async function finished(jobId: string): Promise<string> {
  return eventually(async () => {
    const job = (await (await call('GET', `/api/v1/jobs/${jobId}`)).json()) as { status: string };
    return ['succeeded', 'failed', 'canceled'].includes(job.status) && job.status;
  });
}

/** Every span of the trace that accepted `jobId`, once its run has ended and been exported. */
async function traceOf(jobId: string): Promise<Map<string, ReceivedSpan[]>> {
  const spans = await eventually(async () => {
    const all = receiver.spans();
    const accept = all.find((span) => span.name === 'job.accept' && span.attributes['darkroom.job.id'] === jobId);
    const run = all.find((span) => span.name === 'job.run' && span.attributes['darkroom.job.id'] === jobId);
    const request = accept && all.find((span) => span.spanId === accept.parentSpanId);
    return accept && run && request && all.filter((span) => span.traceId === accept.traceId);
  });
  const byName = new Map<string, ReceivedSpan[]>();
  for (const span of spans) byName.set(span.name, [...(byName.get(span.name) ?? []), span]);
  return byName;
}

const only = (spans: Map<string, ReceivedSpan[]>, name: string) => {
  expect(spans.get(name), name).toHaveLength(1);
  return spans.get(name)![0]!;
};

describe('traces over OTLP', () => {
  it('follows a REST job on the local provider from request to accept, run, images and storage', async () => {
    const response = await call('POST', '/api/v1/generations', {
      prompt: `a ${SECRET_WORDS} at dusk`,
      negativePrompt: 'plover feathers',
      numImages: 2,
      provider: 'local',
    });
    expect(response.status).toBe(202);
    const { jobId } = (await response.json()) as { jobId: string };
    expect(await finished(jobId)).toBe('succeeded');

    const spans = await traceOf(jobId);
    const request = only(spans, 'POST /api/v1/generations');
    const accept = only(spans, 'job.accept');
    const run = only(spans, 'job.run');
    const images = spans.get('image.generate') ?? [];
    const puts = spans.get('storage.put') ?? [];

    expect(request.parentSpanId).toBe('');
    expect(request.attributes).toMatchObject({
      'http.request.method': 'POST',
      'http.route': '/api/v1/generations',
      'http.response.status_code': 202,
    });
    expect(accept.parentSpanId).toBe(request.spanId);
    expect(accept.attributes).toMatchObject({
      'darkroom.job.id': jobId,
      'darkroom.provider': 'local',
      'darkroom.job.images': 2,
      'darkroom.job.priority': 'normal',
    });
    expect(run.parentSpanId).toBe(accept.spanId);
    expect(run.attributes).toMatchObject({ 'darkroom.job.id': jobId, 'darkroom.run.outcome': 'finished' });
    expect(run.events).toContainEqual({
      name: 'job.end',
      attributes: { status: 'succeeded', succeeded: 2, failed: 0 },
    });
    expect(images.map((image) => image.attributes['darkroom.image.index']).sort()).toEqual([0, 1]);
    for (const image of images) expect(image.parentSpanId).toBe(run.spanId);
    // The image and its thumbnail, per image, each under its image's span.
    expect(puts).toHaveLength(4);
    for (const put of puts) expect(images.map((image) => image.spanId)).toContain(put.parentSpanId);
    expect(puts.map((put) => put.attributes['darkroom.storage.key'])).toContain(`jobs/${jobId}/0-1.png`);
    // The row carries the accept span's traceparent: that is how the worker found the trace.
    const [row] = await h.db.$queryRaw<{ trace_parent: string }[]>`
      select trace_parent from jobs where id = ${jobId}::uuid`;
    expect(row!.trace_parent).toBe(`00-${accept.traceId}-${accept.spanId}-01`);
  });

  it('shows the vendor calls over tRPC, with their status, attempts and the retry', async () => {
    vendor.replyOnce('POST', /\/v1\/images\/generations/, {
      status: 429,
      headers: { 'retry-after-ms': '20' },
      json: { error: { message: 'Rate limit reached', type: 'requests', param: null, code: 'rate_limit_exceeded' } },
    });
    const response = await call('POST', '/trpc/jobs.create', {
      prompt: `the ${SECRET_WORDS} again`,
      numImages: 1,
      provider: 'openai',
    });
    expect(response.status).toBe(200);
    const jobId = ((await response.json()) as { result: { data: { id: string } } }).result.data.id;
    expect(await finished(jobId)).toBe('succeeded');

    const spans = await traceOf(jobId);
    const request = only(spans, 'POST /trpc/:path');
    const accept = only(spans, 'job.accept');
    const run = only(spans, 'job.run');
    const image = only(spans, 'image.generate');
    const calls = spans.get('provider.call') ?? [];
    const puts = spans.get('storage.put') ?? [];

    expect(request.attributes).toMatchObject({ 'rpc.method': 'jobs.create', 'http.response.status_code': 200 });
    expect(accept.parentSpanId).toBe(request.spanId);
    expect(accept.attributes['darkroom.provider']).toBe('openai');
    expect(run.parentSpanId).toBe(accept.spanId);
    expect(image.parentSpanId).toBe(run.spanId);
    expect(
      calls.map((one) => [one.attributes['darkroom.image.attempt'], one.attributes['http.response.status_code']]),
    ).toEqual([
      [1, 429],
      [2, 200],
    ]);
    for (const one of calls) {
      expect(one.parentSpanId).toBe(image.spanId);
      expect(one.kind).toBe(3); // client
      expect(one.attributes['url.full']).toBe(`${vendor.baseUrl}/images/generations`);
    }
    expect(calls[0]!.status.code).toBe(2);
    expect(calls[0]!.attributes['error.type']).toBe('429');
    expect(image.events.map((event) => event.name)).toContain('image.retry');
    expect(image.attributes['darkroom.image.attempt']).toBe(2);
    for (const put of puts) expect(put.parentSpanId).toBe(image.spanId);
    expect(puts.length).toBeGreaterThanOrEqual(1);
  });

  it('puts the OpenAI-compatible route, which waits for its images, over the whole job', async () => {
    const response = await call('POST', '/v1/images/generations', { model: 'local', prompt: `${SECRET_WORDS} three` });
    expect(response.status).toBe(200);
    const { data } = (await response.json()) as { data: unknown[] };
    expect(data).toHaveLength(1);

    const accept = await eventually(async () =>
      receiver
        .spans()
        .find(
          (span) =>
            span.name === 'job.accept' &&
            span.attributes['darkroom.job.images'] === 1 &&
            span.attributes['darkroom.provider'] === 'local',
        ),
    );
    const spans = await traceOf(String(accept.attributes['darkroom.job.id']));
    const request = only(spans, 'POST /v1/images/generations');
    const run = only(spans, 'job.run');

    expect(accept.parentSpanId).toBe(request.spanId);
    expect(request.attributes['http.response.status_code']).toBe(200);
    expect(run.parentSpanId).toBe(accept.spanId);
    expect(spans.get('storage.put')?.length).toBeGreaterThanOrEqual(1);
  });

  it('records a cancel: its own request span, and the run stopping and ending canceled', async () => {
    vendor.replyOnce('POST', /\/v1\/images\/generations/, { delayMs: 20_000, status: 500, json: {} });
    const response = await call('POST', '/api/v1/generations', { prompt: 'slow', numImages: 1, provider: 'openai' });
    const { jobId } = (await response.json()) as { jobId: string };
    await eventually(async () => receiver.spans().some((span) => span.name === 'provider.call') && true);
    await eventually(async () => {
      const job = (await (await call('GET', `/api/v1/jobs/${jobId}`)).json()) as { status: string };
      return job.status === 'running';
    });

    expect((await call('DELETE', `/api/v1/jobs/${jobId}`)).status).toBe(200);
    expect(await finished(jobId)).toBe('canceled');

    const spans = await traceOf(jobId);
    const run = only(spans, 'job.run');
    expect(run.events.map((event) => event.name)).toEqual(expect.arrayContaining(['job.stop', 'job.end']));
    expect(run.events.find((event) => event.name === 'job.stop')!.attributes).toEqual({ reason: 'canceled' });
    expect(run.events.find((event) => event.name === 'job.end')!.attributes).toMatchObject({ status: 'canceled' });
    const cancel = await eventually(async () =>
      receiver.spans().find((span) => span.name === 'job.cancel' && span.attributes['darkroom.job.id'] === jobId),
    );
    const cancelRequest = receiver.spans().find((span) => span.spanId === cancel.parentSpanId);
    expect(cancelRequest?.name).toBe('DELETE /api/v1/jobs/:id');
  });

  it('exported nothing that names a prompt, a negative prompt, the vendor key or the caller key', async () => {
    // Every job above is over and its spans were received: what is exported is all there is.
    const exported = receiver.exports.map((one) => one.body.toString('utf8')).join('\n');

    expect(receiver.exports.length).toBeGreaterThan(0);
    for (const secret of [...SECRET_WORDS.split(' '), 'dusk', 'feathers', VENDOR_KEY, h.apiKey])
      expect(exported).not.toContain(secret);
  });
});
