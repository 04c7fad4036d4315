/**
 * Fault: workers killed with kill -9 in the middle of jobs, five times over, while others keep going.
 * Afterwards every accepted job has ended, no image was stored twice, and the ledger balances.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { JobView } from '@darkroom/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signUpForApiKey, startStack, trpc, type Stack } from '../stack.js';
import { allEnded, exited, invariantViolations, processes, type Processes } from './cluster.js';

const dataDir = mkdtempSync(path.join(os.tmpdir(), 'darkroom-faults-kill-'));
let stack: Stack;
let cluster: Processes;
// Short liveness settings so five deaths fit in a test run; the 60 s default is proven in worker-recovery.
const WORKER_ENV = {
  WORKER_DEAD_AFTER_SECONDS: '5',
  HEARTBEAT_INTERVAL_MS: '500',
  MOCK_LATENCY_MS: '200-400',
  IMAGE_CONCURRENCY: '2',
  WORKER_CONCURRENCY: '2',
};

beforeAll(async () => {
  stack = await startStack(dataDir, { LAUNCH_WORKER: 'false', STARTING_CREDITS: '100000' });
  cluster = processes(stack);
});
afterAll(async () => {
  cluster?.killAll();
  await stack?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('kill -9 of workers mid-job', () => {
  it('loses nothing across five kills: every job ends, no image is stored or charged twice', async () => {
    const apiKey = await signUpForApiKey(stack.url, 'kills@example.com');
    let workers: ChildProcess[] = [await cluster.worker('w-0', WORKER_ENV), await cluster.worker('w-1', WORKER_ENV)];
    const jobs: JobView[] = [];
    for (let i = 0; i < 30; i++) {
      jobs.push(
        await trpc<JobView>(
          stack.url,
          'jobs.create',
          { prompt: `survivor ${i}`, numImages: 3, provider: 'mock' },
          'mutation',
          apiKey,
        ),
      );
    }
    const ids = jobs.map((job) => job.id);

    for (let kill = 1; kill <= 5; kill++) {
      await new Promise((resolve) => setTimeout(resolve, 1200));
      const victim = workers[kill % workers.length]!;
      victim.kill('SIGKILL');
      await exited(victim);
      workers = workers.filter((worker) => worker !== victim);
      workers.push(await cluster.worker(`w-${kill + 1}`, WORKER_ENV));
    }
    await allEnded(stack, ids, 120_000);

    expect(await invariantViolations(stack, ids)).toEqual([]);
    const views = await Promise.all(ids.map((id) => trpc<JobView>(stack.url, 'jobs.get', { id }, 'query', apiKey)));
    expect(views.every((view) => view.status === 'succeeded' && view.counts.succeeded === 3)).toBe(true);
  });
});
