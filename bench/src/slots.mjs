// Provider slot use: the mock provider at a fixed latency, PROVIDER_CONCURRENCY mock:32 shared by 2
// worker processes (32 jobs each at a time: a job spends part of its run outside the provider call, so
// keeping every slot busy takes more jobs in flight than slots), a backlog of one-image jobs queued over
// HTTP (batches) before the workers start. Achieved images/s over a 20 s window (after 5 s of warm-up),
// against the ideal 32 slots / latency, and against the same-work baseline (same-work.mjs: raw
// graphile-worker, 32 at a time, each holding the same mock call and doing the same image work) in the
// same run. Latencies: 250 ms and a realistic 2 s (BENCH_SLOTS_LATENCIES). Targets: >= 90 % of ideal at
// 250 ms, >= 97 % at 2 s.
import path from 'node:path';
import pg from 'pg';
import { sameWorkWindow } from './same-work.mjs';
import { round1, signUpForKey, sleep, startStack, stopChild, trpc } from './support.mjs';

const SLOTS = 32;
const LATENCIES_MS = (process.env.BENCH_SLOTS_LATENCIES ?? '250,2000').split(',').map(Number);
const WORKERS = 2;
const JOBS_PER_WORKER = Number(process.env.BENCH_SLOTS_WORKER_CONCURRENCY ?? SLOTS);
const BACKLOG = Number(process.env.BENCH_SLOTS_BACKLOG ?? 3000);
const WARMUP_S = 5;
const WINDOW_S = 20;
const TARGET = (latencyMs) => (latencyMs >= 1000 ? 0.97 : 0.9);

export async function slotsScenario() {
  const results = {};
  const targets = [];
  for (const latencyMs of LATENCIES_MS) {
    const { rows, met, target } = await slotsAt(latencyMs);
    results[
      `mock at ${latencyMs} ms, ${SLOTS} slots, ${WORKERS} worker processes x ${JOBS_PER_WORKER} jobs, ${WINDOW_S} s window`
    ] = rows;
    targets.push({ latencyMs, target, met });
  }
  return { ...results, target: targets };
}

async function slotsAt(latencyMs) {
  const stack = await startStack('slots');
  const client = new pg.Client({ connectionString: stack.databaseUrl });
  try {
    await client.connect();
    const ideal = SLOTS / (latencyMs / 1000);
    const sameWork = await sameWorkWindow({
      connectionString: stack.databaseUrl,
      storageDir: path.join(stack.dir, 'images'),
      backlog: Math.min(BACKLOG, Math.ceil(ideal * (WARMUP_S + WINDOW_S + 5))),
      concurrency: SLOTS,
      latencyMs,
      warmupS: WARMUP_S,
      windowS: WINDOW_S,
    });

    const api = await stack.startApi();
    const apiKey = await signUpForKey(api.url, 'slots@bench.example');
    for (let first = 0; first < BACKLOG; first += 100) {
      const requests = Array.from({ length: Math.min(100, BACKLOG - first) }, (_, j) => ({
        prompt: `slot ${first + j}`,
        provider: 'mock',
        numImages: 1,
      }));
      await trpc(api.url, apiKey, 'jobs.createBatch', { requests });
    }
    const workers = [];
    for (let i = 0; i < WORKERS; i++) {
      workers.push(
        await stack.startWorker({
          WORKER_ID: `w${i}`,
          WORKER_CONCURRENCY: String(JOBS_PER_WORKER),
          PROVIDER_CONCURRENCY: `mock:${SLOTS}`,
          MOCK_LATENCY_MS: String(latencyMs),
        }),
      );
    }
    await sleep(WARMUP_S * 1000);
    const finished = async () =>
      Number((await client.query(`select count(*) as n from images where status = 'succeeded'`)).rows[0].n);
    const from = await finished();
    await sleep(WINDOW_S * 1000);
    const to = await finished();
    const left = Number((await client.query(`select count(*) as n from jobs where status = 'queued'`)).rows[0].n);
    const { rows } = await client.query(
      `select avg(duration_ms)::float8 as call_ms from images where status = 'succeeded'`,
    );
    await Promise.all(workers.map(stopChild));
    const achieved = (to - from) / WINDOW_S;
    const percent = (value) => `${Math.round(value * 100)} %`;
    return {
      target: `>= ${percent(TARGET(latencyMs))} of ${round1(ideal)} images/s`,
      met: achieved / ideal >= TARGET(latencyMs),
      rows: [
        {
          system: 'Darkroom',
          imagesInWindow: to - from,
          achievedImagesPerSecond: round1(achieved),
          idealImagesPerSecond: round1(ideal),
          ofIdeal: percent(achieved / ideal),
          ofSameWork: percent(achieved / sameWork.achievedImagesPerSecond),
          // An image's duration is its provider call, the time it held a slot; slots busy on average:
          meanCallMs: Math.round(rows[0].call_ms ?? 0),
          meanBusySlots: round1((achieved * (rows[0].call_ms ?? 0)) / 1000),
          stillQueuedAtEnd: left,
        },
        {
          system: 'baseline: raw graphile-worker, 32 at a time, the same mock call and image work',
          ...sameWork,
          idealImagesPerSecond: round1(ideal),
          ofIdeal: percent(sameWork.achievedImagesPerSecond / ideal),
        },
      ],
    };
  } finally {
    await client.end().catch(() => {});
    await stack.stop();
  }
}
