import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { JobListView, JobView } from '@darkroom/core';
import { afterAll, describe, expect, it } from 'vitest';
import { eventually, processesMentioning, signUpForApiKey, startStack, trpc, type Stack } from './stack.js';

const dataDir = mkdtempSync(path.join(os.tmpdir(), 'darkroom-e2e-restart-'));
const busyDir = mkdtempSync(path.join(os.tmpdir(), 'darkroom-e2e-busy-stop-'));
let stack: Stack | undefined;
afterAll(async () => {
  await stack?.stop();
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(busyDir, { recursive: true, force: true });
});

describe('the start command', () => {
  it('keeps jobs and images across a restart, and Ctrl-C leaves no process behind', async () => {
    stack = await startStack(dataDir, {}, { fresh: true });
    // The banner says how to read embedded Postgres's password (its file), never the password itself.
    const password = decodeURIComponent(new URL(stack.databaseUrl).password);
    expect(password.length).toBeGreaterThanOrEqual(32);
    expect(stack.output()).not.toContain(password);
    expect(stack.output()).toMatch(
      /DATABASE_URL="postgres:\/\/postgres:\$\(cat \S+darkroom\.password\)@127\.0\.0\.1:\d+\/darkroom"/,
    );
    const health = await fetch(`${stack.url}/readyz`);
    expect(health.status).toBe(200);
    const key = await signUpForApiKey(stack.url, 'keeper@example.com');
    const created = await trpc<JobView>(
      stack.url,
      'jobs.create',
      { prompt: 'a lighthouse at dusk', numImages: 2 },
      'mutation',
      key,
    );
    const done = await eventually(async () => {
      const job = await trpc<JobView>(stack!.url, 'jobs.get', { id: created.id }, 'query', key);
      return job.status === 'succeeded' ? job : null;
    });

    expect(await stack.stop('SIGINT')).toBe(0);
    expect(stack.output()).toContain('darkroom: stopped');
    expect(processesMentioning(dataDir)).toEqual([]);

    stack = await startStack(dataDir);
    // The account, its key and its jobs all survive the restart.
    const list = await trpc<JobListView>(stack.url, 'jobs.list', { limit: 10 }, 'query', key);
    expect(list.items.map((job) => job.id)).toContain(created.id);
    for (const image of done.images) {
      const response = await fetch(`${stack.url}${image.url}`, { headers: { authorization: `Bearer ${key}` } });
      expect(response.status).toBe(200);
      expect(
        Buffer.from(await response.arrayBuffer())
          .subarray(1, 4)
          .toString(),
      ).toBe('PNG');
    }
    expect(await stack.stop('SIGINT')).toBe(0);
    expect(processesMentioning(dataDir)).toEqual([]);
    stack = undefined;
  });

  it('stops on Ctrl-C while clients still follow a job live and wait on a running one', async () => {
    // A mock image takes a minute: the job stays running through the stop.
    stack = await startStack(busyDir, {
      MOCK_LATENCY_MS: '60000',
      API_SHUTDOWN_GRACE_MS: '2000',
      SHUTDOWN_GRACE_MS: '1000',
    });
    const key = await signUpForApiKey(stack.url, 'follower@example.com');
    const auth = { authorization: `Bearer ${key}` };
    const created = await trpc<JobView>(
      stack.url,
      'jobs.create',
      { prompt: 'a very slow lighthouse', provider: 'mock' },
      'mutation',
      key,
    );
    await eventually(
      async () => (await trpc<JobView>(stack!.url, 'jobs.get', { id: created.id }, 'query', key)).status === 'running',
    );
    // Two live streams (every job, and this one) and an OpenAI-style request that waits for its images.
    const streams = await Promise.all(
      [`/trpc/jobs.feed`, `/trpc/jobs.onUpdate?input=${encodeURIComponent(JSON.stringify({ id: created.id }))}`].map(
        async (route) => {
          const response = await fetch(`${stack!.url}${route}`, { headers: { ...auth, accept: 'text/event-stream' } });
          expect(response.headers.get('content-type')).toContain('text/event-stream');
          const reader = response.body!.getReader();
          await reader.read();
          return reader;
        },
      ),
    );
    const waiting = fetch(`${stack.url}/v1/images/generations`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: 'another slow lighthouse', model: 'mock' }),
    }).then(
      async (response) => ({ status: response.status, body: await response.text() }),
      (error: Error) => ({ status: 0, body: error.message }),
    );
    await new Promise((resolve) => setTimeout(resolve, 300));

    // Without an end to the streams and a bound on the rest, this stop never finished.
    expect(await stack.stop('SIGINT')).toBe(0);
    expect(stack.output()).toMatch(/darkroom: api stopped \(\d+ ms\)/);
    expect(stack.output()).toContain('darkroom: stopped');
    for (const reader of streams) {
      // Read to the end of what was sent: the stream is over, not hanging.
      for (;;) {
        const chunk = await reader.read().catch(() => ({ done: true }));
        if (chunk.done) break;
      }
    }
    expect((await waiting).status).not.toBe(200);
    expect(processesMentioning(busyDir)).toEqual([]);
    stack = undefined;
  });
});
