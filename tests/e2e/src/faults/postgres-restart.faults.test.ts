/**
 * Fault: Postgres restarts under load. Submits keep coming while it is down; the API answers them 503
 * with Retry-After (never another 5xx). A worker whose queue runner loses the database mid-write exits
 * non-zero (crash-only) and its supervisor starts it again; afterwards every accepted job ends with the
 * invariants intact.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '@darkroom/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signUpForApiKey, startStack, type Stack } from '../stack.js';
import { allEnded, invariantViolations, processes, type Processes } from './cluster.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'darkroom-faults-pg-'));
let postgres: EmbeddedPostgres;
let stack: Stack;
let cluster: Processes;
beforeAll(async () => {
  postgres = await startEmbeddedPostgres({ dataDir: path.join(dir, 'pg'), ephemeral: true });
  stack = await startStack(path.join(dir, 'darkroom'), {
    DATABASE_URL: postgres.url,
    LAUNCH_WORKER: 'false',
    STARTING_CREDITS: '100000',
  });
  cluster = processes(stack);
});
afterAll(async () => {
  cluster?.killAll();
  await stack?.stop();
  await postgres?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('Postgres restarting under load', () => {
  it('answers 503 with Retry-After while it is down and loses no accepted job', async () => {
    // The banner shows the operator's DATABASE_URL without its password.
    expect(stack.output()).not.toContain(`:${new URL(postgres.url).password}@`);
    expect(stack.output()).toMatch(/DATABASE_URL=postgres:\/\/postgres:\*\*\*@127\.0\.0\.1/);
    const apiKey = await signUpForApiKey(stack.url, 'outage@example.com');
    const env = {
      MOCK_LATENCY_MS: '100-300',
      WORKER_CONCURRENCY: '2',
      POLL_INTERVAL_MS: '200',
      WORKER_DEAD_AFTER_SECONDS: '5',
      HEARTBEAT_INTERVAL_MS: '500',
    };
    await cluster.supervisedWorker('pg-w1', env);
    await cluster.supervisedWorker('pg-w2', env);
    const accepted: string[] = [];
    const refused: { status: number; retryAfter: string | null }[] = [];
    let submitting = true;
    const submitter = (async () => {
      for (let i = 0; submitting; i++) {
        const response = await fetch(`${stack.url}/trpc/jobs.create`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` },
          body: JSON.stringify({ prompt: `under load ${i}`, numImages: 2, provider: 'mock' }),
        });
        if (response.ok)
          accepted.push(((await response.json()) as { result: { data: { id: string } } }).result.data.id);
        else refused.push({ status: response.status, retryAfter: response.headers.get('retry-after') });
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    })();

    await new Promise((resolve) => setTimeout(resolve, 1500));
    await postgres.stop();
    await new Promise((resolve) => setTimeout(resolve, 2500));
    postgres = await startEmbeddedPostgres({ dataDir: path.join(dir, 'pg'), port: postgres.port, ephemeral: true });
    await new Promise((resolve) => setTimeout(resolve, 2500));
    submitting = false;
    await submitter;

    // The outage was seen, and answered only with 503 + Retry-After.
    expect(refused.length).toBeGreaterThan(0);
    // On failure, what the API logged at error level says which error it did not recognise as an outage.
    const internalErrors = () =>
      stack
        .output()
        .split('\n')
        .filter((line) => line.includes('"level":50'))
        .join('\n');
    expect(
      refused.filter((answer) => answer.status !== 503 || answer.retryAfter === null),
      internalErrors(),
    ).toEqual([]);
    expect(accepted.length).toBeGreaterThan(10);
    await allEnded(stack, accepted, 60_000);
    expect(await invariantViolations(stack, accepted)).toEqual([]);
  });
});
