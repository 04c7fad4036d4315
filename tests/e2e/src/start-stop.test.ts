import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { JobListView, JobView } from '@darkroom/core';
import { afterAll, describe, expect, it } from 'vitest';
import { eventually, processesMentioning, signUpForApiKey, startStack, trpc, type Stack } from './stack.js';

const dataDir = mkdtempSync(path.join(os.tmpdir(), 'darkroom-e2e-restart-'));
let stack: Stack | undefined;
afterAll(async () => {
  await stack?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('the start command', () => {
  it('keeps jobs and images across a restart, and Ctrl-C leaves no process behind', async () => {
    stack = await startStack(dataDir);
    const health = await fetch(`${stack.url}/readyz`);
    expect(health.status).toBe(200);
    const key = await signUpForApiKey(stack.url, 'keeper@example.com');
    const created = await trpc<JobView>(stack.url, 'jobs.create', { prompt: 'a lighthouse at dusk', numImages: 2 }, 'mutation', key);
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
      expect(Buffer.from(await response.arrayBuffer()).subarray(1, 4).toString()).toBe('PNG');
    }
    expect(await stack.stop('SIGINT')).toBe(0);
    expect(processesMentioning(dataDir)).toEqual([]);
    stack = undefined;
  });
});
