// Cancel of a running job: from `jobs.cancel` returning to the job being `canceled` (its provider call
// aborted, the run finished), with the mock provider busy for 20 s per image. Baseline, same run: cancel
// of a queued job, which is one transaction in the API (the floor). Target: a running job stops within 1 s.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { accountSettingsFrom, loadApiConfig, makeInProcessCallers } from '@darkroom/api';
import { makeDb, migrateDatabase, startEmbeddedPostgres } from '@darkroom/db';
import { createFilesystemStorage } from '@darkroom/storage';
import { loadWorkerConfig, startWorker } from '@darkroom/worker';

const SAMPLES = 20;

export async function cancelScenario() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'darkroom-bench-cancel-'));
  const postgres = await startEmbeddedPostgres({ dataDir: path.join(dir, 'pg'), ephemeral: true });
  await migrateDatabase(postgres.url);
  const db = makeDb({ url: postgres.url, poolSize: 10 });
  const storage = createFilesystemStorage({ root: path.join(dir, 'images') });
  const settings = accountSettingsFrom(loadApiConfig({ DATABASE_URL: postgres.url, STARTING_CREDITS: '100000' }));
  const callers = await makeInProcessCallers({ db, storage, databaseUrl: postgres.url, settings });
  let worker;
  try {
    const user = await db.user.create({ data: { email: 'cancel@bench.example', creditBalance: 100000 } });
    await db.creditEntry.create({
      data: { userId: user.id, kind: 'grant', amount: 100000, balanceAfter: 100000, note: 'bench' },
    });
    const caller = callers.callerFor({ id: user.id, email: user.email, role: 'user' });

    const queued = [];
    for (let i = 0; i < SAMPLES; i++) {
      const job = await caller.jobs.create({ prompt: `queued ${i}`, provider: 'mock' });
      const started = performance.now();
      await caller.jobs.cancel({ id: job.id });
      await until(async () => (await db.job.findUnique({ where: { id: job.id } })).status === 'canceled');
      queued.push(performance.now() - started);
    }

    worker = await startWorker(
      loadWorkerConfig({
        DATABASE_URL: postgres.url,
        STORAGE_DIR: path.join(dir, 'images'),
        MOCK_LATENCY_MS: '20000',
        POLL_INTERVAL_MS: '100',
        LOG_LEVEL: 'silent',
      }),
    );
    const running = [];
    for (let i = 0; i < SAMPLES; i++) {
      const job = await caller.jobs.create({ prompt: `running ${i}`, provider: 'mock' });
      await until(async () => (await db.image.findFirst({ where: { jobId: job.id } })).status === 'running');
      const started = performance.now();
      await caller.jobs.cancel({ id: job.id });
      await until(async () => (await db.job.findUnique({ where: { id: job.id } })).status === 'canceled');
      running.push(performance.now() - started);
    }
    const runningStats = summarize(running);
    return {
      'cancel -> canceled (ms)': [
        { job: 'running (provider call aborted, run finished by the worker)', ...runningStats },
        { job: 'baseline: queued (one transaction in the API)', ...summarize(queued) },
      ],
      target: { 'running job stops within 1 s (max)': runningStats.max < 1000 ? 'met' : 'NOT met' },
    };
  } finally {
    await worker?.stop();
    await callers.close();
    await db.$disconnect();
    await postgres.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function until(check, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

function summarize(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q) => Math.round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] * 10) / 10;
  return { samples: sorted.length, p50: at(0.5), p95: at(0.95), max: at(1) };
}
