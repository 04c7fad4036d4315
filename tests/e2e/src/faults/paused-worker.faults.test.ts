/**
 * Fault: a worker that is alive but silent (here SIGSTOP: a paused VM, a blocked event loop, a network
 * partition look the same from outside). Another worker declares it dead after WORKER_DEAD_AFTER_SECONDS
 * and finishes its job, ending the silent one's Postgres sessions first so nothing it was in the middle
 * of holds a lock; when the silent one wakes up it finds itself declared dead and exits non-zero
 * without touching the job again, for its supervisor to restart it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { JobView } from '@darkroom/core';
import { makeDb } from '@darkroom/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, signUpForApiKey, startStack, trpc, type Stack } from '../stack.js';
import { invariantViolations, processes, type Processes } from './cluster.js';

const dataDir = mkdtempSync(path.join(os.tmpdir(), 'darkroom-faults-paused-'));
let stack: Stack;
let cluster: Processes;
const LIVENESS = {
  WORKER_DEAD_AFTER_SECONDS: '5',
  HEARTBEAT_INTERVAL_MS: '300',
  WORKER_CONCURRENCY: '1',
  IMAGE_CONCURRENCY: '1',
};

beforeAll(async () => {
  stack = await startStack(dataDir, { LAUNCH_WORKER: 'false' });
  cluster = processes(stack);
});
afterAll(async () => {
  cluster?.killAll();
  await stack?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('a worker silent longer than the liveness limit', () => {
  it('is declared dead, its job finishes elsewhere, and on waking it exits non-zero without writing to the job', async () => {
    const db = makeDb({ url: stack.databaseUrl, poolSize: 1 });
    try {
      const apiKey = await signUpForApiKey(stack.url, 'paused@example.com');
      // Its image takes 15 s: it is still waiting for it when it wakes up.
      const paused = await cluster.worker('w-paused', { ...LIVENESS, MOCK_LATENCY_MS: '15000' });
      let said = '';
      for (const stream of [paused.stdout!, paused.stderr!])
        stream.on('data', (chunk: Buffer) => (said += chunk.toString()));
      const exit = new Promise<number | null>((resolve) => paused.once('exit', (code) => resolve(code)));
      const job = await trpc<JobView>(
        stack.url,
        'jobs.create',
        { prompt: 'a sleepy owl', numImages: 1, provider: 'mock' },
        'mutation',
        apiKey,
      );
      await eventually(
        async () => (await db.image.count({ where: { jobId: job.id, status: 'running' } })) === 1,
        20_000,
      );

      const { sessionName } = await db.workerHeartbeat.findUniqueOrThrow({ where: { workerId: 'w-paused' } });
      const sessionsOf = (name: string | null) =>
        db.$queryRaw<{ state: string | null; wait_event: string | null; query: string }[]>`
          select state, wait_event, query from pg_stat_activity where application_name = ${name}`;
      expect((await sessionsOf(sessionName)).length).toBeGreaterThan(0);

      // Stopped at whatever it was doing: between two beats, or in the middle of a transaction.
      paused.kill('SIGSTOP');
      const rescuer = await cluster.worker('w-rescuer', {
        ...LIVENESS,
        MOCK_LATENCY_MS: '300',
        POLL_INTERVAL_MS: '200',
      });
      let rescuerSaid = '';
      for (const stream of [rescuer.stdout!, rescuer.stderr!])
        stream.on('data', (chunk: Buffer) => (rescuerSaid += chunk.toString()));
      await eventually(
        async () => (await db.job.findUniqueOrThrow({ where: { id: job.id } })).status === 'succeeded',
        60_000,
      ).catch(async (error: Error) => {
        // What a failure needs to be understood: where the job and its queue entry stand, who is alive.
        const state = {
          job: await db.job.findUnique({
            where: { id: job.id },
            select: { status: true, stage: true, attempts: true },
          }),
          images: await db.image.findMany({ where: { jobId: job.id }, select: { status: true, attempts: true } }),
          events: (await db.jobEvent.findMany({ where: { jobId: job.id }, orderBy: { id: 'asc' } })).map((event) => [
            event.type,
            event.data,
          ]),
          queue:
            await db.$queryRaw`select locked_by, attempts, run_at, last_error from graphile_worker.jobs where key = ${job.id}`,
          heartbeats: await db.workerHeartbeat.findMany(),
          leases: await db.providerLease.findMany({ where: { holder: { not: null } } }),
          pausedSessions: await sessionsOf(sessionName),
          rescuerSaid,
        };
        throw new Error(
          `${error.message}: ${JSON.stringify(state, (_key, value: unknown) => (typeof value === 'bigint' ? Number(value) : value))}`,
        );
      });
      // Its Postgres sessions were ended: nothing it left open holds a lock, and it wakes up disconnected.
      await eventually(async () => (await sessionsOf(sessionName)).length === 0, 10_000);
      const eventsBeforeWaking = await db.jobEvent.count({ where: { jobId: job.id } });
      paused.kill('SIGCONT');

      expect(await exit).toBe(1);
      expect(said).toContain('declared dead');
      const events = await db.jobEvent.findMany({ where: { jobId: job.id }, orderBy: { id: 'asc' } });
      expect(events).toHaveLength(eventsBeforeWaking);
      const starts = events
        .filter((event) => event.type === 'started')
        .map((event) => (event.data as { workerId: string }).workerId);
      // Events name a worker by its session name (F21).
      const rescuerBeat = await db.workerHeartbeat.findUniqueOrThrow({ where: { workerId: 'w-rescuer' } });
      expect(starts).toEqual([sessionName, rescuerBeat.sessionName]);
      expect(events.filter((event) => event.type === 'image_succeeded')).toHaveLength(1);
      expect(await invariantViolations(stack, [job.id])).toEqual([]);
    } finally {
      await db.$disconnect();
    }
  });
});
