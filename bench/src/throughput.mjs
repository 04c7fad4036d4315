// End-to-end throughput: N one-image jobs submitted over HTTP with the mock provider at zero latency,
// timed from the first submit until every one has succeeded.
//
// Darkroom, two ways of submitting (API as its own process, API key; 2 worker processes, 16 jobs each
// at a time): single `jobs.create` calls from 32 concurrent clients, and `jobs.createBatch` of 100
// jobs (4 concurrent clients). Baseline, same run and Postgres: raw graphile-worker, `add_jobs` of 100
// from 4 concurrent clients, a runner with the same total concurrency (32) and a no-op task; and the
// same-work baseline (same-work.mjs): that runner with a task doing the image work Darkroom must do.
// Targets: Darkroom >= 70 % of the same-work baseline's jobs/s (and, as before, its share of raw).
import { Logger, run } from 'graphile-worker';
import pg from 'pg';
import path from 'node:path';
import { sameWorkThroughput } from './same-work.mjs';
import { round1, signUpForKey, sleep, startStack, stopChild, trpc } from './support.mjs';

// The size; about 10 minutes per Darkroom row on 2 cores (BENCH_THROUGHPUT_JOBS for a quicker look).
const JOBS = Number(process.env.BENCH_THROUGHPUT_JOBS ?? 20000);
const CLIENTS = 32;
const BATCH = 100;
const BATCH_CLIENTS = 4;
const WORKERS = 2;
const WORKER_CONCURRENCY = Number(process.env.BENCH_THROUGHPUT_WORKER_CONCURRENCY ?? 16);

export async function throughputScenario() {
  const stack = await startStack('throughput');
  const client = new pg.Client({ connectionString: stack.databaseUrl });
  try {
    await client.connect();
    const raw = await rawGraphileWorker(stack.databaseUrl);
    const sameWork = await sameWorkThroughput({
      connectionString: stack.databaseUrl,
      storageDir: path.join(stack.dir, 'images'),
      jobs: JOBS,
      concurrency: WORKERS * WORKER_CONCURRENCY,
    });

    const api = await stack.startApi();
    const apiKey = await signUpForKey(api.url, 'throughput@bench.example');
    const workers = [];
    for (let i = 0; i < WORKERS; i++) {
      workers.push(
        await stack.startWorker({
          WORKER_ID: `w${i}`,
          WORKER_CONCURRENCY: String(WORKER_CONCURRENCY),
          MOCK_LATENCY_MS: '0',
        }),
      );
    }
    const succeeded = async () =>
      Number((await client.query(`select count(*) as n from jobs where status = 'succeeded'`)).rows[0].n);
    const drain = async (label, submit) => {
      await stack.resetStatements();
      const before = await succeeded();
      const started = performance.now();
      let submittedMs = 0;
      const submitting = submit().then(() => (submittedMs = performance.now() - started));
      while ((await succeeded()) < before + JOBS) await sleep(100);
      await submitting;
      const failed = Number(
        (await client.query(`select count(*) as n from jobs where status <> 'succeeded'`)).rows[0].n,
      );
      const seconds = (performance.now() - started) / 1000;
      // Where a job's time goes: running (claim -> finished) is the worker's own cost per job.
      const { rows } = await client.query(
        `select avg(extract(epoch from finished_at - started_at) * 1000)::float8 as run_ms from jobs
         where id in (select id from jobs order by created_at desc limit $1)`,
        [JOBS],
      );
      await stack.statements(label);
      return {
        jobs: JOBS,
        seconds: round1(seconds),
        jobsPerSecond: round1(JOBS / seconds),
        submittedInSeconds: round1(submittedMs / 1000),
        meanRunMs: Math.round(rows[0].run_ms),
        notSucceeded: failed,
      };
    };

    const singles = await drain('singles', async () => {
      let next = 0;
      await Promise.all(
        Array.from({ length: CLIENTS }, async () => {
          while (next < JOBS) {
            const i = next++;
            await trpc(api.url, apiKey, 'jobs.create', { prompt: `single ${i}`, provider: 'mock', numImages: 1 });
          }
        }),
      );
    });
    const batches = await drain('batches', async () => {
      let next = 0;
      await Promise.all(
        Array.from({ length: BATCH_CLIENTS }, async () => {
          while (next < JOBS) {
            const first = next;
            next += BATCH;
            const requests = Array.from({ length: Math.min(BATCH, JOBS - first) }, (_, j) => ({
              prompt: `batch ${first + j}`,
              provider: 'mock',
              numImages: 1,
            }));
            await trpc(api.url, apiKey, 'jobs.createBatch', { requests });
          }
        }),
      );
    });
    await Promise.all(workers.map(stopChild));

    const ratio = (row) => `${Math.round((row.jobsPerSecond / raw.jobsPerSecond) * 100)} %`;
    const ofSameWork = (row) => `${Math.round((row.jobsPerSecond / sameWork.jobsPerSecond) * 100)} %`;
    return {
      [`${JOBS} one-image jobs, mock provider at 0 ms, until all succeeded`]: [
        {
          system: `Darkroom: jobs.create, ${CLIENTS} concurrent HTTP clients`,
          ...singles,
          ofSameWork: ofSameWork(singles),
          ofRaw: ratio(singles),
        },
        {
          system: `Darkroom: jobs.createBatch of ${BATCH}, ${BATCH_CLIENTS} clients`,
          ...batches,
          ofSameWork: ofSameWork(batches),
          ofRaw: ratio(batches),
        },
        {
          system: `baseline: raw graphile-worker add_jobs of ${BATCH} + the same image work (same-work.mjs)`,
          ...sameWork,
          ofSameWork: '100 %',
          ofRaw: ratio(sameWork),
        },
        {
          system: `baseline: raw graphile-worker add_jobs of ${BATCH} + no-op task`,
          ...raw,
          ofSameWork: ofSameWork(raw),
          ofRaw: '100 %',
        },
      ],
      target: {
        target: 'Darkroom >= 70 % of the same-work baseline jobs/s',
        singles: ofSameWork(singles),
        batches: ofSameWork(batches),
        met:
          singles.jobsPerSecond >= sameWork.jobsPerSecond * 0.7 &&
          batches.jobsPerSecond >= sameWork.jobsPerSecond * 0.7,
      },
    };
  } finally {
    await client.end().catch(() => {});
    await stack.stop();
  }
}

async function rawGraphileWorker(connectionString) {
  let done = 0;
  let allDone;
  const finished = new Promise((resolve) => (allDone = resolve));
  const runner = await run({
    connectionString,
    concurrency: WORKERS * WORKER_CONCURRENCY,
    pollInterval: 1000,
    noHandleSignals: true,
    logger: new Logger(() => (level, message) => {
      if (level === 'error') console.error(`graphile-worker: ${message}`);
    }),
    taskList: {
      bench_noop: async () => {
        if (++done === JOBS) allDone();
      },
    },
  });
  const pool = new pg.Pool({ connectionString, max: BATCH_CLIENTS });
  try {
    const started = performance.now();
    let next = 0;
    let submittedMs = 0;
    await Promise.all(
      Array.from({ length: BATCH_CLIENTS }, async () => {
        while (next < JOBS) {
          const count = Math.min(BATCH, JOBS - next);
          next += count;
          await pool.query(
            `select graphile_worker.add_jobs(array(select json_populate_record(null::graphile_worker.job_spec, json_build_object('identifier', 'bench_noop', 'payload', '{}'::json)) from generate_series(1, $1)))`,
            [count],
          );
        }
      }),
    );
    submittedMs = performance.now() - started;
    await finished;
    const seconds = (performance.now() - started) / 1000;
    return {
      jobs: JOBS,
      seconds: round1(seconds),
      jobsPerSecond: round1(JOBS / seconds),
      submittedInSeconds: round1(submittedMs / 1000),
      meanRunMs: null,
      notSucceeded: JOBS - done,
    };
  } finally {
    await pool.end();
    await runner.stop();
  }
}
