import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createDarkroomClient } from '@darkroom/client';
import type { JobView } from '@darkroom/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from './stack.js';

const dataDir = mkdtempSync(path.join(os.tmpdir(), 'darkroom-e2e-client-'));
let stack: Stack;
beforeAll(async () => {
  stack = await startStack(dataDir);
});
afterAll(async () => {
  await stack?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('the typed client', () => {
  it('generate() submits, follows the job with backoff and returns the finished images', async () => {
    const darkroom = createDarkroomClient({ url: stack.url });
    const seen: JobView[] = [];
    const job = await darkroom.generate(
      { prompt: 'a paper boat on a pond', numImages: 3, preset: 'coloring-page' },
      { onProgress: (view) => seen.push(view), backoff: { initialMs: 100, maxMs: 500 } },
    );

    expect(job.status).toBe('succeeded');
    expect(job.images.filter((image) => image.url)).toHaveLength(3);
    const progress = seen.map((view) => view.progress);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
    expect(seen[0]!.status).toMatch(/queued|running/);
  });

  it('wait() gives up after timeoutMs on a job that cannot finish in time', async () => {
    const darkroom = createDarkroomClient({ url: stack.url });
    const job = await darkroom.submit({ prompt: 'slow enough', numImages: 8 });
    await expect(darkroom.wait(job.id, { timeoutMs: 1, backoff: { initialMs: 50 } })).rejects.toThrow(/did not finish within 1 ms/);
    await darkroom.wait(job.id);
  });
});
