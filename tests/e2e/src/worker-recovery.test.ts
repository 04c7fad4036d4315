/**
 * Workers die and get stopped: a kill -9 must not leave a job locked for graphile-worker's four hours,
 * and a SIGTERM must hand running work back instead of throwing it away. Both keep the images already
 * stored: nothing is generated twice.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { JobView } from '@darkroom/core';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { processes, type Processes } from './faults/cluster.js';
import { eventually, signUpForApiKey, startStack, trpc, type Stack } from './stack.js';

const dataDir = mkdtempSync(path.join(os.tmpdir(), 'darkroom-e2e-recovery-'));
let stack: Stack;
let apiKey: string;
let cluster: Processes;

beforeAll(async () => {
  // The API alone: every worker in this file is a process the test owns and may kill.
  stack = await startStack(dataDir, { LAUNCH_WORKER: 'false' });
  apiKey = await signUpForApiKey(stack.url, 'recovery@example.com');
  cluster = processes(stack);
});
afterAll(async () => {
  cluster?.killAll();
  await stack?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

/** A worker process this file owns: one job and one image at a time, 700 ms per mock image. */
function startWorker(id: string, env: Record<string, string> = {}): Promise<ChildProcess> {
  return cluster.worker(id, { WORKER_CONCURRENCY: '1', IMAGE_CONCURRENCY: '1', MOCK_LATENCY_MS: '700', ...env });
}

async function query<T extends pg.QueryResultRow>(sql: string, params: unknown[]): Promise<T[]> {
  const client = new pg.Client({ connectionString: stack.databaseUrl });
  await client.connect();
  try {
    return (await client.query<T>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

async function storedImages(jobId: string) {
  return query<{ index: number; finished_at: Date }>(
    `select index, finished_at from images where job_id = $1 and status = 'succeeded' order by index`,
    [jobId],
  );
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

const getJob = (id: string) => trpc<JobView>(stack.url, 'jobs.get', { id }, 'query', apiKey);

describe('crash recovery', () => {
  it('resumes the job of a worker killed with kill -9 within 60 s, without generating its stored images again', async () => {
    const doomed = await startWorker('doomed');
    const job = await trpc<JobView>(
      stack.url,
      'jobs.create',
      { prompt: 'a lighthouse in a storm', numImages: 4, provider: 'mock' },
      'mutation',
      apiKey,
    );
    await eventually(async () => (await storedImages(job.id)).length >= 2, 60_000);
    doomed.kill('SIGKILL');
    const killedAt = Date.now();
    await new Promise((resolve) => doomed.once('exit', resolve));
    const storedBeforeKill = await storedImages(job.id);

    // Default liveness settings: a heartbeat every 5 s, dead after 30 s of silence.
    const metricsPort = await freePort();
    const rescuer = await startWorker('rescuer', { WORKER_METRICS_PORT: String(metricsPort) });
    const done = await eventually(async () => {
      const view = await getJob(job.id);
      return view.status === 'succeeded' ? view : null;
    }, 90_000);

    const starts = await query<{ worker: string; resumed: boolean; at: Date }>(
      `select data->>'workerId' as worker, (data->>'resumed')::boolean as resumed, created_at as at from job_events where job_id = $1 and type = 'started' order by created_at`,
      [job.id],
    );
    // Events name a worker by its session name, never host:pid (F21); the rescuer's is on its heartbeat
    // (the doomed worker's row went with its burial).
    const [rescuerBeat] = await query<{ session_name: string }>(
      `select session_name from worker_heartbeats where worker_id = 'rescuer'`,
      [],
    );
    expect(starts.map(({ resumed }) => resumed)).toEqual([false, true]);
    expect(starts[0]!.worker).toMatch(/^darkroom-worker [0-9a-f-]{36}$/);
    expect(starts[1]!.worker).toBe(rescuerBeat!.session_name);
    expect(starts[0]!.worker).not.toBe(starts[1]!.worker);
    expect(starts[1]!.at.getTime() - killedAt).toBeLessThan(60_000);
    expect(done.images).toHaveLength(4);
    // The images stored before the kill are the same rows, finished at the same moment: not made again.
    const after = await storedImages(job.id);
    for (const before of storedBeforeKill) {
      expect(after.find((image) => image.index === before.index)?.finished_at.getTime()).toBe(
        before.finished_at.getTime(),
      );
    }
    const succeededEvents = await query<{ index: number; n: number }>(
      `select (data->>'index')::int as index, count(*)::int as n from job_events where job_id = $1 and type = 'image_succeeded' group by 1 order by 1`,
      [job.id],
    );
    expect(succeededEvents).toEqual([0, 1, 2, 3].map((index) => ({ index, n: 1 })));
    // The dead worker's heartbeat is gone; the rescuer's is there.
    const beats = await query<{ worker_id: string }>(`select worker_id from worker_heartbeats order by worker_id`, []);
    expect(beats.map((beat) => beat.worker_id)).toEqual(['rescuer']);
    // A worker on its own serves its Prometheus metrics: it finished one job and made the missing images.
    const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    expect(metrics).toMatch(/^darkroom_jobs_finished_total\{status="succeeded"\} 1$/m);
    expect(metrics).toMatch(
      new RegExp(
        `^darkroom_provider_requests_total\\{provider="mock",outcome="ok"\\} ${4 - storedBeforeKill.length}$`,
        'm',
      ),
    );
    rescuer.kill('SIGTERM');
    await new Promise((resolve) => rescuer.once('exit', resolve));
  });

  it('on SIGTERM stops taking jobs, lets images in flight finish, then hands the rest back', async () => {
    const leaving = await startWorker('leaving', { SHUTDOWN_GRACE_MS: '20000', MOCK_LATENCY_MS: '1200' });
    const job = await trpc<JobView>(
      stack.url,
      'jobs.create',
      { prompt: 'a quiet harbour at dawn', numImages: 6, provider: 'mock' },
      'mutation',
      apiKey,
    );
    const queuedBehind = await trpc<JobView>(
      stack.url,
      'jobs.create',
      { prompt: 'waits its turn', numImages: 1, provider: 'mock' },
      'mutation',
      apiKey,
    );
    await eventually(async () => (await storedImages(job.id)).length >= 1, 60_000);
    leaving.kill('SIGTERM');
    const exitCode = await new Promise<number | null>((resolve) => leaving.once('exit', resolve));

    expect(exitCode).toBe(0);
    const handedBack = await getJob(job.id);
    expect(handedBack.status).toBe('queued');
    const kept = await storedImages(job.id);
    expect(kept.length).toBeGreaterThanOrEqual(1);
    expect(kept.length).toBeLessThan(6);
    // The image in flight at SIGTERM was finished, not abandoned: every image ever started is stored.
    const abandoned = await query<{ index: number }>(
      `select index from images where job_id = $1 and attempts > 0 and status <> 'succeeded'`,
      [job.id],
    );
    expect(abandoned).toEqual([]);
    // It took no new job while leaving.
    expect((await getJob(queuedBehind.id)).status).toBe('queued');
    const events = await query<{ type: string }>(`select type from job_events where job_id = $1 order by created_at`, [
      job.id,
    ]);
    expect(events.map((event) => event.type)).toContain('released');

    await startWorker('next');
    await eventually(
      async () =>
        (await getJob(job.id)).status === 'succeeded' && (await getJob(queuedBehind.id)).status === 'succeeded',
      60_000,
    );
    const after = await storedImages(job.id);
    for (const before of kept) {
      expect(after.find((image) => image.index === before.index)?.finished_at.getTime()).toBe(
        before.finished_at.getTime(),
      );
    }
    expect(after).toHaveLength(6);
  });
});
