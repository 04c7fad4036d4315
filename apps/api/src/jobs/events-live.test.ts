/**
 * The richer events: `image_succeeded`, `image_failed`, `progress` and `position` on the timeline
 * (`jobs.events`), on the live timeline stream (`jobs.onEvent` over real HTTP, SSE), and as webhooks
 * (`image.succeeded`, `image.failed`, `job.progress`, `job.position`) sent only when the request lists
 * them, signed (Standard Webhooks), to a local receiver. Real Postgres, a real worker.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { makeOutboundGuard } from '@darkroom/core/outbound';
import { WebhookPayload, type JobEventView } from '@darkroom/core';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, makeHarness, type Harness } from '../../test/harness.js';

let h: Harness;
let receiver: http.Server;
let base: string;
let url: string;
const received: { path: string; headers: http.IncomingHttpHeaders; body: string }[] = [];

beforeAll(async () => {
  h = await makeHarness({ settings: { outbound: makeOutboundGuard({ allowPrivate: true }) } });
  // One job at a time, so the second job waits in the queue; local's passes spaced so progress moves
  // over more than a second; every mock image refused (image_failed).
  await h.startWorker({
    WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true',
    WORKER_CONCURRENCY: '1',
    LOCAL_PASS_MS: '500',
    PREVIEW_INTERVAL_MS: '200',
    POSITION_EVENTS_INTERVAL_MS: '200',
    MOCK_FAILURES: 'content_filtered:1',
  });
  receiver = http.createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      received.push({ path: request.url ?? '/', headers: request.headers, body });
      response.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  base = await (await h.server()).listen({ host: '127.0.0.1', port: 0 });
  url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
});
afterAll(async () => {
  receiver?.closeAllConnections();
  await new Promise((resolve) => receiver?.close(resolve));
  await h?.close();
});

/** `jobs.onEvent` over HTTP: every event until the job's `finished` one. */
async function streamedEvents(id: string): Promise<JobEventView[]> {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), 60_000);
  const events: JobEventView[] = [];
  try {
    const response = await fetch(`${base}/trpc/jobs.onEvent?input=${encodeURIComponent(JSON.stringify({ id }))}`, {
      headers: h.headers,
      signal: abort.signal,
    });
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    const decoder = new TextDecoder();
    let buffered = '';
    for await (const chunk of response.body!) {
      buffered += decoder.decode(chunk as Uint8Array, { stream: true });
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const line of lines) {
        const match = /^data: (\{.*\})$/.exec(line);
        const event = match && (JSON.parse(match[1]!) as JobEventView);
        if (event && 'type' in event) events.push(event);
      }
      if (events.some((event) => event.type === 'finished')) break;
    }
  } finally {
    clearTimeout(timer);
    abort.abort();
  }
  return events;
}

const ended = (id: string) =>
  eventually(async () => {
    const view = await h.caller.jobs.get({ id });
    return ['succeeded', 'failed', 'canceled'].includes(view.status) ? view : null;
  }, 60_000);

describe('image, progress and position events', () => {
  it('reach the timeline, the live stream, and exactly the webhooks listed, signed', async () => {
    const { secret } = await h.caller.webhooks.secret();
    const blocker = await h.caller.jobs.create({ prompt: 'the worker is busy with this', numImages: 2 });
    const queued = await h.caller.jobs.create({
      prompt: 'waits, then develops',
      numImages: 2,
      webhookUrl: `${url}/listed`,
      webhookEvents: ['image.succeeded', 'job.progress', 'job.position'],
    });
    const refused = await h.caller.jobs.create({
      prompt: 'every image refused',
      provider: 'mock',
      webhookUrl: `${url}/failed`,
      webhookEvents: ['image.failed', 'job.finished'],
    });
    const [streamed] = await Promise.all([streamedEvents(queued.id), ended(blocker.id)]);
    await ended(queued.id);
    await ended(refused.id);

    const timeline = await h.caller.jobs.events({ id: queued.id });
    const types = new Set(timeline.map((event) => event.type));
    for (const type of ['position', 'progress', 'image_succeeded', 'finished']) expect(types).toContain(type);
    // The live stream sent the timeline as it is stored, in order, ids and all.
    expect(streamed).toEqual(timeline);
    const position = timeline.find((event) => event.type === 'position');
    expect(position?.data).toMatchObject({ position: expect.any(Number) });
    // Progress: only on a change, at most one a second.
    const progress = timeline.filter((event) => event.type === 'progress');
    for (let i = 1; i < progress.length; i++) {
      expect(Date.parse(progress[i]!.createdAt) - Date.parse(progress[i - 1]!.createdAt)).toBeGreaterThanOrEqual(990);
    }
    const failedTimeline = await h.caller.jobs.events({ id: refused.id });
    expect(failedTimeline.some((event) => event.type === 'image_failed')).toBe(true);

    const verify = (path: string) =>
      eventually(async () => {
        const messages = received.filter((message) => message.path === path);
        return messages.length > 0 ? messages : null;
      }).then((messages) =>
        messages.map(({ headers, body }) =>
          WebhookPayload.parse(new Webhook(secret).verify(body, headers as Record<string, string>)),
        ),
      );
    // Deliveries are queued in the events' transactions; give the last ones time to arrive.
    await eventually(async () => received.some((m) => m.path === '/failed' && m.body.includes('job.finished')));
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const listed = await verify('/listed');
    const listedTypes = listed.map((message) => message.type);
    expect(new Set(listedTypes)).toEqual(new Set(['image.succeeded', 'job.progress', 'job.position']));
    expect(listedTypes.filter((type) => type === 'image.succeeded')).toHaveLength(2);
    expect(listedTypes.filter((type) => type === 'job.progress')).toHaveLength(progress.length);
    expect(listed.find((message) => message.type === 'image.succeeded')?.event).toMatchObject({
      index: expect.any(Number),
    });
    const failed = await verify('/failed');
    expect(failed.map((message) => message.type).sort()).toEqual(['image.failed', 'job.finished']);
    expect(failed.find((message) => message.type === 'image.failed')?.event).toMatchObject({
      index: 0,
      code: 'content_filtered',
    });
  }, 90_000);
});
