// Latency from submit to job start, serial samples on an idle queue.
//
// Darkroom: `jobs.create` over HTTP (API as its own process, API key) with the mock provider at zero
// latency; one worker process (default concurrency 2) picks it up. Latency = the job's `started_at`
// (written by the worker when it claims the job) minus the wall clock just before the HTTP request.
// Baseline, same run and Postgres: raw graphile-worker, a runner with a no-op task (concurrency 2, in
// this process), `graphile_worker.add_job` from a pg client; latency = task start minus the clock
// just before add_job. Target (issue 20, point 5): p50 <= raw p50 + 3 ms, p99 <= 15 ms.
import { Logger, run } from 'graphile-worker';
import pg from 'pg';
import { percentiles, signUpForKey, sleep, startStack, stopChild, trpc, waitFor } from './support.mjs';

const SAMPLES = Number(process.env.BENCH_LATENCY_SAMPLES ?? 1000);

export async function latencyScenario() {
  const stack = await startStack('latency');
  const client = new pg.Client({ connectionString: stack.databaseUrl });
  try {
    await client.connect();
    const api = await stack.startApi();
    const worker = await stack.startWorker({ MOCK_LATENCY_MS: '0' });
    const apiKey = await signUpForKey(api.url, 'latency@bench.example');

    const darkroom = [];
    const answered = [];
    const commitToStart = [];
    for (let i = 0; i < SAMPLES + 20; i++) {
      const before = Date.now();
      const job = await trpc(api.url, apiKey, 'jobs.create', {
        prompt: `latency ${i}`,
        provider: 'mock',
        numImages: 1,
      });
      const answeredAt = Date.now();
      // The figures come from the row's timestamps, so this poll only has to see the job finish before
      // the next sample; every 10 ms, because a query every 2 ms competed on 2 cores with the very claim
      // being measured (the raw baseline has no poll).
      const startedAt = await waitFor(
        async () => {
          const { rows } = await client.query(`select started_at, created_at, status from jobs where id = $1`, [
            job.id,
          ]);
          return rows[0].status === 'succeeded' && rows[0];
        },
        30_000,
        10,
      );
      if (i >= 20) {
        // the first 20 warm up
        darkroom.push(startedAt.started_at.getTime() - before);
        answered.push(answeredAt - before);
        commitToStart.push(startedAt.started_at.getTime() - startedAt.created_at.getTime());
      }
      await sleep(5);
    }
    await stopChild(worker);
    await stack.statements(`Darkroom, ${SAMPLES + 20} serial one-image jobs`);

    let started = null;
    const runner = await run({
      connectionString: stack.databaseUrl,
      concurrency: 2,
      pollInterval: 1000,
      noHandleSignals: true,
      logger: quietLogger(),
      taskList: {
        bench_noop: async () => {
          started?.(Date.now());
        },
      },
    });
    const raw = [];
    try {
      for (let i = 0; i < SAMPLES + 20; i++) {
        const arrived = new Promise((resolve) => (started = resolve));
        const before = Date.now();
        await client.query(`select graphile_worker.add_job('bench_noop', '{}'::json)`);
        const at = await Promise.race([arrived, sleep(30_000).then(() => null)]);
        if (at === null) throw new Error('raw graphile-worker did not start a job within 30 s');
        if (i >= 20) raw.push(at - before);
        await sleep(5);
      }
    } finally {
      await runner.stop();
    }

    const d = percentiles(darkroom);
    const r = percentiles(raw);
    return {
      [`submit -> job start, ${SAMPLES} serial samples (ms)`]: [
        { path: 'Darkroom: jobs.create over HTTP -> worker claims the job (started_at)', ...d },
        { path: 'baseline: raw graphile-worker add_job -> no-op task starts', ...r },
      ],
      'where Darkroom spends it (ms)': [
        { part: 'jobs.create answered over HTTP (client clock)', ...percentiles(answered) },
        { part: 'job row created_at -> started_at (database clock)', ...percentiles(commitToStart) },
      ],
      targets: [
        { target: 'p50 <= raw p50 + 3 ms', limit: r.p50 + 3, measured: d.p50, met: d.p50 <= r.p50 + 3 },
        { target: 'p99 <= 15 ms', limit: 15, measured: d.p99, met: d.p99 <= 15 },
      ],
    };
  } finally {
    await client.end().catch(() => {});
    await stack.stop();
  }
}

function quietLogger() {
  return new Logger(() => (level, message) => {
    if (level === 'error') console.error(`graphile-worker: ${message}`);
  });
}
