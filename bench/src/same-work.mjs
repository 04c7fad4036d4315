// The same-work baseline (performance issue, point 1): raw graphile-worker whose task does what a
// Darkroom worker must do for a one-image job and nothing else. It asks the same mock provider for
// the same image (same size, same latency), encodes it as the job's PNG, takes its palette, writes it
// and its webp thumbnail to the same storage, and records it in one statement. What Darkroom does on
// top (claims, fences, events, credits, progress, notifications, fairness) is what it is measured for.
//
// Jobs are added with `add_jobs` in batches of 100 from 4 concurrent clients, like the no-op baseline.
import { Logger, run } from 'graphile-worker';
import pg from 'pg';
import { DEFAULT_LONG_SIDE } from '@darkroom/core';
import { createMockProvider, paletteOf } from '@darkroom/providers';
import { createFilesystemStorage, encodeAs, imageKey, makeThumbnail, thumbnailKey } from '@darkroom/storage';
import { round1, sleep } from './support.mjs';

const BATCH = 100;
const CLIENTS = 4;

/**
 * Starts a runner (`concurrency` at a time) with the same-work task in this process. `add(count)`
 * queues jobs; `done()` counts those finished; `stop()` ends it and drops its table.
 */
export async function startSameWork({ connectionString, storageDir, concurrency, latencyMs = 0 }) {
  const setup = new pg.Client({ connectionString });
  await setup.connect();
  await setup.query(
    `create table if not exists bench_same_work (n int primary key, storage_key text not null,
      thumbnail_key text not null, width int not null, height int not null, bytes int not null,
      palette jsonb, finished_at timestamptz not null default now())`,
  );
  await setup.end();
  const mock = createMockProvider({ latencyMs: [latencyMs, latencyMs] });
  const storage = createFilesystemStorage({ root: storageDir });
  const pool = new pg.Pool({ connectionString, max: CLIENTS + 2 });
  let finished = 0;
  const runner = await run({
    connectionString,
    concurrency,
    pollInterval: 1000,
    noHandleSignals: true,
    logger: new Logger(() => (level, message) => {
      if (level === 'error') console.error(`graphile-worker: ${message}`);
    }),
    taskList: {
      bench_same_work: async ({ n }) => {
        const id = `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
        const result = await mock.generate({
          prompt: `same work ${n}`,
          preset: 'none',
          width: DEFAULT_LONG_SIDE,
          height: DEFAULT_LONG_SIDE,
          seed: n,
        });
        const bytes = await encodeAs(result.bytes, result.mime, 'png');
        const palette = await paletteOf(bytes).catch(() => null);
        const key = imageKey(id, 0, 'png', 1);
        await storage.put(key, bytes, 'image/png');
        const thumbnail = thumbnailKey(id, 0, 1);
        await storage.put(thumbnail, (await makeThumbnail(bytes)).body, 'image/webp');
        await pool.query(
          `insert into bench_same_work (n, storage_key, thumbnail_key, width, height, bytes, palette)
           values ($1, $2, $3, $4, $5, $6, $7::jsonb)`,
          [n, key, thumbnail, result.width, result.height, bytes.length, JSON.stringify(palette)],
        );
        finished++;
      },
    },
  });
  let next = 0;
  return {
    done: () => finished,
    /** Queues `count` jobs in batches of 100 from 4 clients; resolves once all are added. */
    async add(count) {
      const end = next + count;
      await Promise.all(
        Array.from({ length: CLIENTS }, async () => {
          while (next < end) {
            const first = next;
            const size = Math.min(BATCH, end - first);
            next += size;
            await pool.query(
              `select graphile_worker.add_jobs(array(
                 select json_populate_record(null::graphile_worker.job_spec,
                   json_build_object('identifier', 'bench_same_work', 'payload', json_build_object('n', n)))
                 from generate_series($1::int, $2::int) as n))`,
              [first, first + size - 1],
            );
          }
        }),
      );
    },
    async stop() {
      await runner.stop();
      // What the window left queued must not sit in the queue Darkroom's workers read next.
      await pool.query(
        `delete from graphile_worker._private_jobs j using graphile_worker._private_tasks t
         where j.task_id = t.id and t.identifier = 'bench_same_work'`,
      );
      await pool.query('drop table if exists bench_same_work');
      await pool.end();
    },
  };
}

/** Submits `jobs` at once and times them until every one has finished (the throughput rows). */
export async function sameWorkThroughput({ connectionString, storageDir, jobs, concurrency }) {
  const baseline = await startSameWork({ connectionString, storageDir, concurrency });
  try {
    const started = performance.now();
    await baseline.add(jobs);
    const submittedMs = performance.now() - started;
    while (baseline.done() < jobs) await sleep(50);
    const seconds = (performance.now() - started) / 1000;
    return {
      jobs,
      seconds: round1(seconds),
      jobsPerSecond: round1(jobs / seconds),
      submittedInSeconds: round1(submittedMs / 1000),
      meanRunMs: null,
      notSucceeded: jobs - baseline.done(),
    };
  } finally {
    await baseline.stop();
  }
}

/**
 * With a backlog queued first, images finished per second over a window after a warm-up (the slot
 * rows): the provider latency held by `concurrency` jobs at a time, as Darkroom's slots are.
 */
export async function sameWorkWindow({
  connectionString,
  storageDir,
  backlog,
  concurrency,
  latencyMs,
  warmupS,
  windowS,
}) {
  const baseline = await startSameWork({ connectionString, storageDir, concurrency, latencyMs });
  try {
    await baseline.add(backlog);
    await sleep(warmupS * 1000);
    const from = baseline.done();
    await sleep(windowS * 1000);
    const images = baseline.done() - from;
    return { imagesInWindow: images, achievedImagesPerSecond: round1(images / windowS) };
  } finally {
    await baseline.stop();
  }
}
