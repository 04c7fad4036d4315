import os from 'node:os';
import { makeDb } from '@darkroom/db';
import { createStorage } from '@darkroom/storage';
import { Logger as GraphileLogger, parseCronItems, run, type Runner } from 'graphile-worker';
import { pino } from 'pino';
import type { WorkerConfig } from './env.js';
import { makeProviderRegistry } from './providers.js';
import { makeProviderGate } from './provider-gate.js';
import { makeGenerateTask } from './tasks/generate.js';
import { makeMaintenanceTask } from './tasks/maintenance.js';

export interface RunningWorker {
  readonly workerId: string;
  /** Takes no new jobs, lets running ones finish, then closes the pool. */
  stop(): Promise<void>;
}

/** Starts one worker process's runner against a migrated database (`config.DATABASE_URL` set). */
export async function startWorker(config: WorkerConfig): Promise<RunningWorker> {
  if (!config.DATABASE_URL) throw new Error('the worker needs DATABASE_URL');
  const workerId = config.WORKER_ID ?? `${os.hostname()}:${process.pid}`;
  const log = pino({ level: config.LOG_LEVEL, base: { service: 'worker', workerId } });
  const db = makeDb({ url: config.DATABASE_URL, poolSize: config.WORKER_CONCURRENCY * 2 + 2 });
  const storage = createStorage(config, config.STORAGE_DIR);
  const providers = makeProviderRegistry(config);

  const gate = await makeProviderGate({
    databaseUrl: config.DATABASE_URL,
    workerId,
    log,
    limitsFor: (provider) => ({
      concurrency: Math.max(1, config.PROVIDER_CONCURRENCY[provider] ?? 4),
      requestsPerMinute: config.PROVIDER_RPM[provider] ?? 0,
    }),
  });
  const runner: Runner = await run({
    connectionString: config.DATABASE_URL,
    concurrency: config.WORKER_CONCURRENCY,
    pollInterval: config.POLL_INTERVAL_MS,
    // The launcher (or main.ts) owns signals, so shutdown happens in the right order.
    noHandleSignals: true,
    logger: new GraphileLogger((scope) => (level, message, meta) => {
      const method = level === 'warning' ? 'warn' : level === 'error' ? 'error' : 'debug';
      log[method]({ ...scope, ...meta }, message);
    }),
    taskList: {
      generate: makeGenerateTask({
        db,
        storage,
        providerFor: providers.providerFor,
        fallbackOrder: providers.fallbackOrder,
        log,
        workerId,
        imageConcurrency: config.IMAGE_CONCURRENCY,
        maxRunningPerUser: config.MAX_RUNNING_JOBS_PER_USER,
        gate,
      }),
      maintain_queue: makeMaintenanceTask({ db, log, promoteAfterSeconds: config.LOW_PRIORITY_PROMOTE_AFTER_SECONDS }),
    },
    // Every minute, on one worker (graphile-worker's cron takes a lock per tick).
    parsedCronItems: parseCronItems([{ task: 'maintain_queue', match: '* * * * *', options: { backfillPeriod: 0 } }]),
  });
  log.info({ concurrency: config.WORKER_CONCURRENCY }, 'worker started');

  let stopping: Promise<void> | undefined;
  return {
    workerId,
    stop: () =>
      (stopping ??= (async () => {
        await runner.stop();
        await gate.close();
        await db.$disconnect();
        await storage.close?.();
        log.info('worker stopped');
      })()),
  };
}
