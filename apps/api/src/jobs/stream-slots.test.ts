/**
 * Live streams and OpenAI-compatible waiters per account, over real HTTP: past the cap a new one is
 * refused (429, or an error event for a stream), nothing is submitted, and a closed stream frees its slot.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, makeHarness, type Harness } from '../../test/harness.js';

let h: Harness;
let base: string;
beforeAll(async () => {
  h = await makeHarness({ settings: { maxStreamsPerUser: 2 } });
  base = await (await h.server()).listen({ host: '127.0.0.1', port: 0 });
});
afterAll(() => h.close());

/** Opens jobs.feed and answers the text of its first events (read for 700 ms, or until an error), and how to close it. */
async function openFeed(headers: Record<string, string>) {
  const abort = new AbortController();
  const response = await fetch(`${base}/trpc/jobs.feed`, { headers, signal: abort.signal });
  const reader = response.body!.getReader();
  let text = '';
  // The slot is taken once the stream runs, after its `connected` event: read on past it.
  const until = Date.now() + 700;
  while (Date.now() < until && !text.includes('serialized-error')) {
    const chunk = await Promise.race([
      reader.read(),
      new Promise<null>((resolve) => setTimeout(() => resolve(null), 200)),
    ]);
    if (chunk?.value) text += new TextDecoder().decode(chunk.value);
    if (chunk?.done) break;
  }
  return { text, close: () => abort.abort() };
}

describe('stream slots', () => {
  it('refuses a third stream of one account, and an OpenAI waiter, until one closes; other accounts are unaffected', async () => {
    const first = await openFeed(h.headers);
    const second = await openFeed(h.headers);
    expect(first.text).toContain('event: connected');
    expect(second.text).toContain('event: connected');
    const third = await openFeed(h.headers);
    expect(third.text).toContain('at most 2 live streams and waiting requests per account');
    third.close();

    const jobsBefore = await h.db.job.count();
    const waiter = await fetch(`${base}/v1/images/generations`, {
      method: 'POST',
      headers: { ...h.headers, 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: 'wait for me' }),
    });
    expect(waiter.status).toBe(429);
    expect(Number(waiter.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await h.db.job.count()).toBe(jobsBefore);

    const stranger = await h.makeUser('stranger-streams@example.com');
    const theirs = await openFeed(stranger.headers);
    expect(theirs.text).toContain('event: connected');
    expect(theirs.text).not.toContain('serialized-error');
    theirs.close();

    first.close();
    // The server hears the close and gives the slot back.
    const again = await eventually(async () => {
      const feed = await openFeed(h.headers);
      if (!feed.text.includes('serialized-error')) return feed;
      feed.close();
      return null;
    });
    expect(again.text).toContain('event: connected');
    again.close();
    second.close();
  });

  it("gives an OpenAI waiter's slot back when its caller goes away, and leaves the job to run", async () => {
    const waiter = await h.makeUser('leaves-early@example.com');
    const abort = new AbortController();
    const before = await h.db.job.count({ where: { userId: waiter.user.id } });
    // No worker here: the job stays queued and the request waits.
    const request = fetch(`${base}/v1/images/generations`, {
      method: 'POST',
      headers: { ...waiter.headers, 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: 'I will not wait' }),
      signal: abort.signal,
    }).catch((error: Error) => error);
    await eventually(async () => (await h.db.job.count({ where: { userId: waiter.user.id } })) === before + 1);
    abort.abort();
    await request;
    // Both slots are free again: two streams open without an error.
    const feeds = await eventually(async () => {
      const opened = [await openFeed(waiter.headers), await openFeed(waiter.headers)];
      if (opened.every((feed) => !feed.text.includes('serialized-error'))) return opened;
      opened.forEach((feed) => feed.close());
      return null;
    });
    feeds.forEach((feed) => feed.close());
    const [job] = await h.db.job.findMany({ where: { userId: waiter.user.id } });
    expect(job!.status).toBe('queued');
  });
});
