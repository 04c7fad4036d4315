/**
 * jobs.feed resumed with Last-Event-ID over real HTTP (SSE): every job changed since then is sent, not
 * only the first page, and an id the feed never gave out is a 400 rather than "from the beginning".
 */
import type { JobView } from '@darkroom/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeHarness, type Harness } from '../../test/harness.js';

let h: Harness;
let base: string;
beforeAll(async () => {
  h = await makeHarness();
  base = await (await h.server()).listen({ host: '127.0.0.1', port: 0 });
});
afterAll(() => h.close());

/** The views the feed sends until `count` distinct jobs arrived (or 20 s passed), then closes the stream. */
async function feedViews(lastEventId: string, count: number): Promise<Map<string, JobView>> {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), 20_000);
  const views = new Map<string, JobView>();
  try {
    const response = await fetch(
      `${base}/trpc/jobs.feed?input=${encodeURIComponent(JSON.stringify({ lastEventId }))}`,
      { headers: h.headers, signal: abort.signal },
    );
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    const decoder = new TextDecoder();
    let buffered = '';
    for await (const chunk of response.body!) {
      buffered += decoder.decode(chunk as Uint8Array, { stream: true });
      for (const match of buffered.matchAll(/^data: (\{.*\})$/gm)) {
        const view = JSON.parse(match[1]!) as JobView;
        if (view.id) views.set(view.id, view);
      }
      buffered = buffered.slice(buffered.lastIndexOf('\n') + 1);
      if (views.size >= count) break;
    }
  } catch (error) {
    if (!abort.signal.aborted) throw error;
  } finally {
    clearTimeout(timer);
    abort.abort();
  }
  return views;
}

describe('jobs.feed resume', () => {
  it('sends every job changed after the event id, across pages', async () => {
    const before = String(Date.now() - 1);
    const created: string[] = [];
    for (let i = 0; i < 3; i++) {
      const batch = await h.caller.jobs.createBatch({
        requests: Array.from({ length: 84 }, (_, j) => ({ prompt: `resume ${i}-${j}` })),
      });
      created.push(...batch.jobs.map((job) => job.id));
    }
    const views = await feedViews(before, created.length);
    expect(created.filter((id) => !views.has(id))).toEqual([]);
  });

  it('sends each queued job of a page with its own place in the queue, as jobs.get reads it', async () => {
    const before = String(Date.now() - 1);
    const batch = await h.caller.jobs.createBatch({
      requests: Array.from({ length: 12 }, (_, j) => ({ prompt: `placed ${j}` })),
    });
    const views = await feedViews(before, 12);
    const places = (view: JobView) => [view.id, view.status, view.queuePosition];
    const got = batch.jobs.map((job) => places(views.get(job.id)!));
    const want = await Promise.all(batch.jobs.map(async (job) => places(await h.caller.jobs.get({ id: job.id }))));
    expect(got).toEqual(want);
    // Nothing runs these jobs: each is queued, behind the ones before it.
    expect(new Set(got.map(([, , position]) => position)).size).toBe(12);
  });

  it('refuses an event id it never gave out, with BAD_REQUEST naming the field', async () => {
    for (const lastEventId of ['yesterday', '-5', '1e12', 'x'.repeat(300)]) {
      const response = await fetch(
        `${base}/trpc/jobs.feed?input=${encodeURIComponent(JSON.stringify({ lastEventId }))}`,
        { headers: h.headers },
      );
      const body = await response.text();
      expect(response.status, lastEventId).toBe(400);
      expect(body, lastEventId).toContain('lastEventId');
    }
    // As an EventSource sends it on a reconnect: the Last-Event-ID header.
    const reconnect = await fetch(`${base}/trpc/jobs.feed`, {
      headers: { ...h.headers, 'last-event-id': 'not-an-id' },
    });
    expect(reconnect.status).toBe(400);
    await reconnect.body?.cancel();
  });
});
