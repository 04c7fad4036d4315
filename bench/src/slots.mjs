// Provider slot use: the mock provider at a fixed 250 ms, PROVIDER_CONCURRENCY mock:32 shared by 2
// worker processes (32 jobs each at a time: a job spends part of its run outside the provider call, so
// keeping every slot busy takes more jobs in flight than slots), a backlog of one-image jobs queued over HTTP (batches)
// before the workers start. Achieved images/s over a 20 s window (after 5 s of warm-up), against the
// ideal 32 slots / 0.25 s = 128 images/s. Target: >= 95%.
import pg from 'pg';
import { round1, signUpForKey, sleep, startStack, stopChild, trpc } from './support.mjs';

const SLOTS = 32;
const LATENCY_MS = 250;
const WORKERS = 2;
const JOBS_PER_WORKER = Number(process.env.BENCH_SLOTS_WORKER_CONCURRENCY ?? SLOTS);
const BACKLOG = Number(process.env.BENCH_SLOTS_BACKLOG ?? 3000);
const WARMUP_S = 5;
const WINDOW_S = 20;

export async function slotsScenario() {
  const stack = await startStack('slots');
  const client = new pg.Client({ connectionString: stack.databaseUrl });
  try {
    await client.connect();
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
          MOCK_LATENCY_MS: String(LATENCY_MS),
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
    const ideal = SLOTS / (LATENCY_MS / 1000);
    return {
      [`mock at ${LATENCY_MS} ms, ${SLOTS} slots across ${WORKERS} worker processes x ${JOBS_PER_WORKER} jobs, ${WINDOW_S} s window`]:
        [
          {
            imagesInWindow: to - from,
            achievedImagesPerSecond: round1(achieved),
            idealImagesPerSecond: ideal,
            ofIdeal: `${Math.round((achieved / ideal) * 100)} %`,
            // An image's duration is its provider call, the time it held a slot; slots busy on average:
            meanCallMs: Math.round(rows[0].call_ms ?? 0),
            meanBusySlots: round1((achieved * (rows[0].call_ms ?? 0)) / 1000),
            stillQueuedAtEnd: left,
          },
        ],
      target: { target: '>= 95 % of 128 images/s', met: achieved / ideal >= 0.95 },
    };
  } finally {
    await client.end().catch(() => {});
    await stack.stop();
  }
}
