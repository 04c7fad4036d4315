/**
 * jobs.feed resumed with Last-Event-ID over real HTTP (SSE): every job changed since then is sent, not
 * only the first page, and an id the feed never gave out is a 400 rather than "from the beginning".
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeHarness, type Harness } from '../../test/harness.js';

let h: Harness;
let base: string;
beforeAll(async () => {
  h = await makeHarness();
  base = await (await h.server()).listen({ host: '127.0.0.1', port: 0 });
});
afterAll(() => h.close());

/** Job ids the feed sends until `count` distinct ones arrived (or 20 s passed), then closes the stream. */
async function feedIds(lastEventId: string, count: number): Promise<Set<string>> {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), 20_000);
  const ids = new Set<string>();
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
        const id = (JSON.parse(match[1]!) as { id?: string }).id;
        if (id) ids.add(id);
      }
      buffered = buffered.slice(buffered.lastIndexOf('\n') + 1);
      if (ids.size >= count) break;
    }
  } catch (error) {
    if (!abort.signal.aborted) throw error;
  } finally {
    clearTimeout(timer);
    abort.abort();
  }
  return ids;
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
    const ids = await feedIds(before, created.length);
    expect(created.filter((id) => !ids.has(id))).toEqual([]);
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
