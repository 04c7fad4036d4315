#!/usr/bin/env node
// Single-machine Darkroom: Postgres (embedded unless DATABASE_URL is set), migrations, the API with the
// web app, and one worker, in one process. Ctrl-C (SIGINT) or SIGTERM stops them in order: the API stops
// accepting requests, the worker finishes what it is running, then Postgres stops. Nothing is left behind.
//
// Run after a build (`npm start` does both). Configuration is the API's and the worker's environment
// variables (.env.example); they read the same DATABASE_URL, DARKROOM_DATA_DIR and STORAGE_DIR.
import { loadApiConfig, startApi } from '@darkroom/api';
import { migrateDatabase, resolveDatabase } from '@darkroom/db';
import { describeStorage } from '@darkroom/storage';
import { loadWorkerConfig, startWorker } from '@darkroom/worker';

const apiConfig = loadApiConfig();
const workerConfig = loadWorkerConfig();

const database = await resolveDatabase({ databaseUrl: apiConfig.DATABASE_URL, dataDir: apiConfig.DARKROOM_DATA_DIR });
let api;
let worker;
let stopping = false;

// Each step is bounded by its own grace period (API_SHUTDOWN_GRACE_MS, SHUTDOWN_GRACE_MS); should one
// hang all the same, the watchdog says which and exits non-zero (Postgres is told to stop on exit).
const SHUTDOWN_LIMIT_MS = apiConfig.API_SHUTDOWN_GRACE_MS + workerConfig.SHUTDOWN_GRACE_MS + 30_000;

async function shutdown(signal) {
  if (stopping) return;
  stopping = true;
  console.log(`\ndarkroom: ${signal} received, stopping`);
  let step = 'api';
  const watchdog = setTimeout(() => {
    console.error(`darkroom: still stopping after ${SHUTDOWN_LIMIT_MS} ms (at: ${step}); exiting`);
    process.exit(1);
  }, SHUTDOWN_LIMIT_MS);
  const timed = async (name, stop) => {
    step = name;
    const started = Date.now();
    await stop();
    console.log(`darkroom: ${name} stopped (${Date.now() - started} ms)`);
  };
  try {
    if (api) await timed('api', () => api.close());
    if (worker) await timed('worker', () => worker.stop());
  } finally {
    if (database.embedded) await timed('postgres', () => database.embedded.stop());
    clearTimeout(watchdog);
    console.log('darkroom: stopped');
    process.exit(0);
  }
}
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => void shutdown(signal));

try {
  await migrateDatabase(database.url);
  if (workerConfig.LAUNCH_WORKER) worker = await startWorker({ ...workerConfig, DATABASE_URL: database.url });
  api = await startApi({ ...apiConfig, DATABASE_URL: database.url });
} catch (error) {
  console.error('darkroom: failed to start:', error);
  await worker?.stop().catch(() => {});
  await database.embedded?.stop();
  process.exit(1);
}

// Crash-only, like a worker on its own: if the worker's queue runner dies (the database went away
// mid-write), stop everything and exit non-zero, for a supervisor (or you) to start again.
if (worker) {
  void worker.crashed.then(async (error) => {
    console.error(`darkroom: the worker crashed (${error.message}); stopping`);
    await api?.close().catch(() => {});
    await database.embedded?.stop();
    process.exit(1);
  });
}

// The embedded cluster's password stays in its file: the banner shows how to read it, not the password.
const shownDatabaseUrl = database.embedded
  ? `"${database.url.replace(/:\/\/([^:]+):[^@]*@/, `://$1:$(cat ${database.embedded.passwordFile})@`)}"`
  : database.url.replace(/:\/\/([^:/@]+):[^@]*@/, '://$1:***@');

console.log(`
  Darkroom is running at ${api.url}

  database  ${database.embedded ? `embedded Postgres (data in ${apiConfig.DARKROOM_DATA_DIR})` : 'DATABASE_URL'}
  images    ${describeStorage(apiConfig, apiConfig.STORAGE_DIR)}
  another worker:  DATABASE_URL=${shownDatabaseUrl} ${apiConfig.STORAGE_DRIVER === 's3' ? 'STORAGE_DRIVER=s3 S3_...' : `STORAGE_DIR=${apiConfig.STORAGE_DIR}`} pnpm --filter @darkroom/worker start
  stop:     Ctrl-C
`);
