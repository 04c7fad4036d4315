// Soak: steady submits for SOAK_SECONDS (default 600) with 100 polling clients and 100 clients
// subscribed to their live feed, against an API and a worker running as their own processes.
// Measured: RSS of each process over time. Target: flat within 10 % (the last minute's mean against
// the mean of the first minute after warm-up), and every accepted job ends.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createDarkroomClient } from '@darkroom/client';
import { makeDb, migrateDatabase, startEmbeddedPostgres } from '@darkroom/db';
import { signUpForKey, sleep } from './support.mjs';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SECONDS = Number(process.env.SOAK_SECONDS ?? 600);
const WARMUP_SECONDS = Math.min(60, Math.floor(SECONDS / 5));
const SUBMITS_PER_SECOND = 4;
const POLLERS = 100;
const SUBSCRIBERS = 100;

export async function soakScenario() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'darkroom-bench-soak-'));
  const postgres = await startEmbeddedPostgres({ dataDir: path.join(dir, 'pg'), ephemeral: true });
  const children = [];
  const subscriptions = [];
  let polling = true;
  try {
    await migrateDatabase(postgres.url);
    const env = {
      ...process.env,
      DATABASE_URL: postgres.url,
      STORAGE_DIR: path.join(dir, 'images'),
      LOG_LEVEL: 'warn',
    };
    const api = await startChild(
      children,
      'apps/api/dist/main.js',
      {
        ...env,
        PORT: '0',
        STARTING_CREDITS: '10000000',
        SUBMITS_PER_MINUTE: '100000',
        MAX_ACTIVE_JOBS_PER_USER: '100000',
      },
      /listening on (http:\/\/\S+)/,
    );
    const worker = await startChild(
      children,
      'apps/worker/dist/main.js',
      { ...env, WORKER_ID: 'soak', WORKER_CONCURRENCY: '8', MOCK_LATENCY_MS: '100-300' },
      /soak running/,
    );
    const apiKey = await signUpForKey(api.url, 'soak@bench.example');
    const darkroom = createDarkroomClient({ url: api.url, apiKey });

    const accepted = [];
    let feedEvents = 0;
    for (let i = 0; i < SUBSCRIBERS; i++) {
      subscriptions.push(
        createDarkroomClient({ url: api.url, apiKey }).trpc.jobs.feed.subscribe(undefined, {
          onData: () => feedEvents++,
        }),
      );
    }
    let polls = 0;
    let pollErrors = 0;
    const pollers = Array.from({ length: POLLERS }, async (_, i) => {
      await sleep((i * 1000) / POLLERS);
      while (polling) {
        const id = accepted[Math.floor(Math.random() * accepted.length)];
        if (id)
          await darkroom.trpc.jobs.get.query({ id }).then(
            () => polls++,
            () => pollErrors++,
          );
        await sleep(1000);
      }
    });

    const samples = [];
    const started = Date.now();
    let submitErrors = 0;
    while (Date.now() - started < SECONDS * 1000) {
      const tick = Date.now();
      await Promise.all(
        Array.from({ length: SUBMITS_PER_SECOND }, () =>
          darkroom.submit({ prompt: `soak ${accepted.length}`, provider: 'mock' }).then(
            (job) => accepted.push(job.id),
            () => submitErrors++,
          ),
        ),
      );
      if (samples.length === 0 || tick - samples.at(-1).at >= 5000) {
        samples.push({
          at: tick,
          second: Math.round((tick - started) / 1000),
          api: rssMiB(api.child.pid),
          worker: rssMiB(worker.child.pid),
        });
      }
      await sleep(Math.max(0, 1000 - (Date.now() - tick)));
    }
    polling = false;
    await Promise.all(pollers);
    for (const subscription of subscriptions) subscription.unsubscribe();

    const db = makeDb({ url: postgres.url, poolSize: 2 });
    const deadline = Date.now() + 120_000;
    let open = 0;
    while (
      (open = await db.job.count({ where: { status: { in: ['queued', 'running'] } } })) > 0 &&
      Date.now() < deadline
    )
      await sleep(500);
    await db.$disconnect();

    const mean = (values) => values.reduce((sum, value) => sum + value, 0) / Math.max(1, values.length);
    const window = (from, to) => samples.filter((sample) => sample.second >= from && sample.second < to);
    const early = window(WARMUP_SECONDS, WARMUP_SECONDS + 60);
    const late = window(SECONDS - 60, SECONDS + 1);
    const growth = (key) =>
      Math.round(
        ((mean(late.map((s) => s[key])) - mean(early.map((s) => s[key]))) / mean(early.map((s) => s[key]))) * 1000,
      ) / 10;
    return {
      'RSS over the run (MiB, every 5 s)': samples
        .filter((_, i) => i % 6 === 0)
        .map(({ second, api: apiRss, worker: workerRss }) => ({ second, api: apiRss, worker: workerRss })),
      summary: {
        seconds: SECONDS,
        accepted: accepted.length,
        'submit errors': submitErrors,
        'jobs not ended 2 min after': open,
        polls,
        'poll errors': pollErrors,
        'feed events': feedEvents,
        'api RSS growth %': growth('api'),
        'worker RSS growth %': growth('worker'),
        target: Math.abs(growth('api')) <= 10 && Math.abs(growth('worker')) <= 10 && open === 0 ? 'met' : 'NOT met',
      },
    };
  } finally {
    polling = false;
    for (const subscription of subscriptions) subscription.unsubscribe();
    for (const child of children) child.kill('SIGTERM');
    await Promise.all(
      children.map(
        (child) => new Promise((resolve) => (child.exitCode !== null ? resolve() : child.once('exit', resolve))),
      ),
    );
    await postgres.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function startChild(children, script, env, ready) {
  const child = spawn(process.execPath, [script], { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const match = out.match(ready);
      if (match) resolve({ child, url: match[1] });
    });
    child.once('exit', (code) => reject(new Error(`${script} exited (${code})`)));
  });
}

function rssMiB(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Math.round(Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024);
}
