/**
 * A live stream outlasts the credential check made when it opened: it looks again while it runs, so a
 * revoked key or a logged-out session stops receiving the account's jobs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeHarness, TEST_PASSWORD, type Harness } from '../../test/harness.js';

let h: Harness;
let base: string;
beforeAll(async () => {
  h = await makeHarness({ settings: { streamRecheckMs: 300 } });
  base = await (await h.server()).listen({ host: '127.0.0.1', port: 0 });
});
afterAll(() => h.close());

/**
 * Opens a live stream (jobs.feed unless told); `ended` resolves (true) when the server ends the stream,
 * or false after 10 s.
 */
async function openFeed(headers: Record<string, string>, procedure = 'jobs.feed', input?: unknown) {
  const abort = new AbortController();
  const query = input === undefined ? '' : `?input=${encodeURIComponent(JSON.stringify(input))}`;
  const response = await fetch(`${base}/trpc/${procedure}${query}`, { headers, signal: abort.signal });
  expect(response.status).toBe(200);
  const reader = response.body!.getReader();
  const ended = (async () => {
    const timer = setTimeout(() => abort.abort(), 10_000);
    try {
      for (;;) if ((await reader.read()).done) return true;
    } catch {
      return false;
    } finally {
      clearTimeout(timer);
    }
  })();
  return { ended, close: () => abort.abort() };
}

describe('a live stream whose credentials end', () => {
  it('ends once its API key is revoked, while one on a key still valid goes on', async () => {
    const doomed = await h.caller.apiKeys.create({ name: 'doomed' });
    const kept = await openFeed(h.headers);
    const feed = await openFeed({ authorization: `Bearer ${doomed.key}` });
    await h.caller.apiKeys.revoke({ id: doomed.apiKey.id });
    expect(await feed.ended).toBe(true);
    // Still open on the valid key: it answers a change made now.
    const settled = await Promise.race([kept.ended, new Promise((resolve) => setTimeout(() => resolve('open'), 1500))]);
    expect(settled).toBe('open');
    kept.close();
  });

  // A queued job (no worker runs here) keeps both of its streams open until something ends them.
  for (const procedure of ['jobs.onUpdate', 'jobs.onEvent']) {
    it(`ends ${procedure} on a job once its API key is revoked`, async () => {
      const doomed = await h.caller.apiKeys.create({ name: `doomed ${procedure}` });
      const job = await h.caller.jobs.create({ prompt: `a stream on ${procedure}`, provider: 'mock' });
      const kept = await openFeed(h.headers, procedure, { id: job.id });
      const stream = await openFeed({ authorization: `Bearer ${doomed.key}` }, procedure, { id: job.id });
      await h.caller.apiKeys.revoke({ id: doomed.apiKey.id });
      expect(await stream.ended).toBe(true);
      const settled = await Promise.race([
        kept.ended,
        new Promise((resolve) => setTimeout(() => resolve('open'), 1500)),
      ]);
      expect(settled).toBe('open');
      kept.close();
    });
  }

  it('ends once its session logs out', async () => {
    const logIn = await fetch(`${base}/trpc/auth.logIn`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'owner@darkroom.test', password: TEST_PASSWORD }),
    });
    const cookie = logIn.headers.get('set-cookie')!.split(';')[0]!;
    const feed = await openFeed({ cookie });
    const logOut = await fetch(`${base}/trpc/auth.logOut`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie },
      body: '{}',
    });
    expect(logOut.status).toBe(200);
    expect(await feed.ended).toBe(true);
  });
});
