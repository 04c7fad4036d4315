/**
 * Fault: the provider misbehaves: 15 % transient errors, bursts of 429s with retry-after, timeouts and
 * the odd permanent refusal. Every job still ends, retries are recorded with their reasons, images that
 * could not be made are refunded, and the ledger balances.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { JobEventView, JobView } from '@darkroom/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signUpForApiKey, startStack, trpc, type Stack } from '../stack.js';
import { allEnded, invariantViolations } from './cluster.js';

const dataDir = mkdtempSync(path.join(os.tmpdir(), 'darkroom-faults-storm-'));
let stack: Stack;
beforeAll(async () => {
  stack = await startStack(dataDir, {
    STARTING_CREDITS: '100000',
    MOCK_LATENCY_MS: '20-80',
    MOCK_FAILURES: 'transient:0.15,rate_limited:0.1,timeout:0.05,content_filtered:0.03',
    MOCK_RETRY_AFTER_MS: '150',
    MOCK_SEED: '42',
    WORKER_CONCURRENCY: '4',
  });
});
afterAll(async () => {
  await stack?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('a provider error storm', () => {
  it('ends every job, retries what may pass with its reason, refunds what failed, and balances the ledger', async () => {
    const apiKey = await signUpForApiKey(stack.url, 'storm@example.com');
    const jobs = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        trpc<JobView>(
          stack.url,
          'jobs.create',
          // Fixed seeds: the mock's draw is per (prompt, image seed, attempt), so the storm is the same
          // on every run and a rare code cannot be missing by chance.
          { prompt: `storm ${i}`, numImages: 3, provider: 'mock', seed: 1000 + i },
          'mutation',
          apiKey,
        ),
      ),
    );
    const ids = jobs.map((job) => job.id);

    await allEnded(stack, ids, 120_000);

    expect(await invariantViolations(stack, ids)).toEqual([]);
    const views = await Promise.all(ids.map((id) => trpc<JobView>(stack.url, 'jobs.get', { id }, 'query', apiKey)));
    const events = (
      await Promise.all(ids.map((id) => trpc<JobEventView[]>(stack.url, 'jobs.events', { id }, 'query', apiKey)))
    ).flat();
    const retries = events.filter((event) => event.type === 'retry_scheduled').map((event) => event.data?.reason);
    // The storm happened, and the worker rode it out: every kind of passing error was retried.
    expect(new Set(retries)).toEqual(new Set(['transient', 'rate_limited', 'timeout']));
    const rateLimited = events.flatMap((event) =>
      event.type === 'retry_scheduled' && event.data.reason === 'rate_limited' ? [event.data] : [],
    );
    expect(rateLimited.every((data) => data.delayMs === 150)).toBe(true);
    // Permanent refusals failed their image at once, with its code, and were not retried.
    const filtered = events.filter((event) => event.type === 'image_failed' && event.data?.code === 'content_filtered');
    expect(filtered.length).toBeGreaterThan(0);
    const succeededImages = views.reduce((sum, view) => sum + view.counts.succeeded, 0);
    expect(succeededImages).toBeGreaterThan(100);
    for (const view of views) {
      expect(['succeeded', 'failed']).toContain(view.status);
      if (view.status === 'failed') expect(view.error?.code).toBeTruthy();
    }
  });
});
