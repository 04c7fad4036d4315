// Live updates across processes: a worker-side write to a job (its progress) reaches a subscriber
// connected to ANOTHER API process, over Postgres NOTIFY and the API's SSE stream.
//
// Darkroom: an API process (a child process, `apps/api/dist/main.js`) serves `jobs.onUpdate` to a
// client (@darkroom/client, SSE); this process writes the job's progress the way a worker does, from
// its own connection, and times commit -> view received by the client. Baseline, same run: the floor
// of the mechanism, a bare LISTEN on one connection and NOTIFY on another (commit -> notification).
// Target: p99 under 100 ms.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createDarkroomClient } from '@darkroom/client';
import { migrateDatabase, startEmbeddedPostgres } from '@darkroom/db';
import pg from 'pg';
import { previewsScenario } from './live-previews.mjs';
import { signUpForKey, sleep } from './support.mjs';

const SAMPLES = 300;
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export async function liveScenario() {
  const commits = await commitLatencyScenario();
  // BENCH_LIVE_PREVIEWS=false skips the previews rounds (about a minute on 2 cores).
  if (process.env.BENCH_LIVE_PREVIEWS === 'false') return commits;
  const previews = await previewsScenario();
  return {
    ...commits,
    ...Object.fromEntries(Object.entries(previews).filter(([key]) => key !== 'target')),
    target: [...commits.target, ...previews.target],
  };
}

async function commitLatencyScenario() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'darkroom-bench-live-'));
  const postgres = await startEmbeddedPostgres({ dataDir: path.join(dir, 'pg'), ephemeral: true });
  let api;
  try {
    await migrateDatabase(postgres.url);
    const baseline = await notifyRoundTrips(postgres.url);

    api = spawn(process.execPath, ['apps/api/dist/main.js'], {
      cwd: repoRoot,
      env: {
        ...process.env,
        DATABASE_URL: postgres.url,
        PORT: '0',
        LOG_LEVEL: 'warn',
        STORAGE_DIR: path.join(dir, 'images'),
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const url = await new Promise((resolve, reject) => {
      let out = '';
      api.stdout.on('data', (chunk) => {
        out += chunk;
        const match = out.match(/listening on (http:\/\/\S+)/);
        if (match) resolve(match[1]);
      });
      api.once('exit', (code) => reject(new Error(`api exited (${code})`)));
    });
    const apiKey = await signUpForKey(url, 'live@bench.example');
    const darkroom = createDarkroomClient({ url, apiKey });
    const job = await darkroom.submit({ prompt: 'followed live', numImages: 1 });

    const writer = new pg.Client({ connectionString: postgres.url });
    await writer.connect();
    const latencies = [];
    let pending = null;
    const subscription = darkroom.trpc.jobs.onUpdate.subscribe(
      { id: job.id },
      {
        onData: ({ data }) => {
          if (pending && data.progress === pending.progress) {
            latencies.push(performance.now() - pending.committedAt);
            pending.resolve();
          }
        },
      },
    );
    await sleep(500);
    for (let i = 0; i < SAMPLES; i++) {
      const progress = (i % 98) + 1;
      // What a worker's raiseProgress does, from its own connection: one statement, committed.
      const arrived = new Promise((resolve) => (pending = { progress, resolve, committedAt: 0 }));
      const before = performance.now();
      await writer.query(`update jobs set progress = $1, updated_at = now() where id = $2`, [progress, job.id]);
      pending.committedAt = before;
      await Promise.race([arrived, sleep(5000)]);
      pending = null;
      await sleep(5);
    }
    subscription.unsubscribe();
    await writer.end();
    const darkroomStats = summarize(latencies);
    return {
      'commit -> subscriber on another API process (ms)': [
        {
          path: 'Darkroom: UPDATE + trigger NOTIFY -> API LISTEN -> re-read view -> SSE -> client',
          ...darkroomStats,
          missed: SAMPLES - latencies.length,
        },
        {
          path: 'baseline: bare NOTIFY -> LISTEN on another connection',
          ...summarize(baseline),
          missed: SAMPLES - baseline.length,
        },
      ],
      target: [
        {
          target: 'progress commit -> subscriber p99 <= 100 ms',
          value: darkroomStats.p99,
          met: darkroomStats.p99 <= 100,
        },
      ],
    };
  } finally {
    api?.kill('SIGTERM');
    if (api) await new Promise((resolve) => api.once('exit', resolve));
    await postgres.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function notifyRoundTrips(url) {
  const listener = new pg.Client({ connectionString: url });
  const notifier = new pg.Client({ connectionString: url });
  await listener.connect();
  await notifier.connect();
  await listener.query('LISTEN bench_baseline');
  const latencies = [];
  for (let i = 0; i < SAMPLES; i++) {
    const arrived = new Promise((resolve) => listener.once('notification', resolve));
    const before = performance.now();
    await notifier.query(`select pg_notify('bench_baseline', $1)`, [String(i)]);
    await arrived;
    latencies.push(performance.now() - before);
  }
  await listener.end();
  await notifier.end();
  return latencies;
}

function summarize(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q) =>
    sorted.length ? Math.round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] * 10) / 10 : null;
  return { samples: sorted.length, p50: at(0.5), p95: at(0.95), p99: at(0.99), max: at(1) };
}
