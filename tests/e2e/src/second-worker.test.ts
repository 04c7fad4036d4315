import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { JobView } from '@darkroom/core';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { eventually, repoRoot, signUpForApiKey, startStack, trpc, type Stack } from './stack.js';

const dataDir = mkdtempSync(path.join(os.tmpdir(), 'darkroom-e2e-workers-'));
let stack: Stack | undefined;
let second: ReturnType<typeof spawn> | undefined;
afterAll(async () => {
  if (second && second.exitCode === null) second.kill('SIGKILL');
  await stack?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('a second worker started by hand', () => {
  it('shares the queue with the first, and no job runs twice', async () => {
    stack = await startStack(dataDir, { WORKER_CONCURRENCY: '1' });
    second = spawn(process.execPath, ['apps/worker/dist/main.js'], {
      cwd: repoRoot,
      env: {
        ...process.env,
        DATABASE_URL: stack.databaseUrl,
        STORAGE_DIR: stack.storageDir,
        WORKER_ID: 'second-worker',
        WORKER_CONCURRENCY: '1',
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let secondOutput = '';
    second.stdout!.on('data', (chunk) => (secondOutput += chunk));
    second.stderr!.on('data', (chunk) => (secondOutput += chunk));
    await eventually(async () => secondOutput.includes('second-worker running'));

    const key = await signUpForApiKey(stack.url, 'shared@example.com');
    const jobs = await Promise.all(
      Array.from({ length: 16 }, (_, i) =>
        trpc<JobView>(stack!.url, 'jobs.create', { prompt: `shared queue ${i}`, numImages: 2 }, 'mutation', key),
      ),
    );
    await eventually(async () => {
      const views = await Promise.all(
        jobs.map((job) => trpc<JobView>(stack!.url, 'jobs.get', { id: job.id }, 'query', key)),
      );
      return views.every((view) => view.status === 'succeeded');
    }, 90_000);

    const client = new pg.Client({ connectionString: stack.databaseUrl });
    await client.connect();
    const { rows, secondSession } = await (async () => {
      const { rows } = await client.query<{ job_id: string; worker: string }>(
        `select job_id, data->>'workerId' as worker from job_events where type = 'started' and job_id = any($1::uuid[])`,
        [jobs.map((job) => job.id)],
      );
      // Events name a worker by its session name (F21), kept on its heartbeat row.
      const beat = await client.query<{ session_name: string }>(
        `select session_name from worker_heartbeats where worker_id = 'second-worker'`,
      );
      return { rows, secondSession: beat.rows[0]?.session_name };
    })().finally(() => client.end());
    // Exactly one start per job: nobody ran a job the other had taken.
    expect(rows).toHaveLength(jobs.length);
    expect(new Set(rows.map((row) => row.job_id)).size).toBe(jobs.length);
    const workers = new Set(rows.map((row) => row.worker));
    expect(secondSession).toMatch(/^darkroom-worker /);
    expect(workers.has(secondSession!)).toBe(true);
    expect(workers.size).toBe(2);

    second.kill('SIGTERM');
    await new Promise((resolve) => second!.once('exit', resolve));
    expect(second.exitCode).toBe(0);
  });
});
