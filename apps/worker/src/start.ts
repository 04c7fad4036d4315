import { EventEmitter, setMaxListeners } from 'node:events';
import os from 'node:os';
import { HOUSEKEEPING_PRIORITY, pricePerImage } from '@darkroom/core';
import { makeOutboundGuard } from '@darkroom/core/outbound';
import { listenForJobChanges, makeDb } from '@darkroom/db';
import { createStorage } from '@darkroom/storage';
import { startTelemetry } from '@darkroom/telemetry/setup';
import { Logger as GraphileLogger, parseCronItems, run, type Runner, type WorkerEvents } from 'graphile-worker';
import { pino } from 'pino';
import { imageRetryPolicy, type WorkerConfig } from './env.js';
import { newSessionName, startHeartbeat, withSessionName } from './heartbeat.js';
import { collectProcessMetrics, serveMetrics } from './metrics.js';
import { makeProviderRegistry } from './providers.js';
import { startCatalogRefresh } from './catalogs.js';
import { startPositionEvents } from './positions.js';
import { startEngineReports } from './engine-status.js';
import { makeProviderGate } from './provider-gate.js';
import { makeGenerateTask } from './tasks/generate.js';
import { makeDeliverWebhookTask } from './tasks/deliver-webhook.js';
import { makeMaintenanceTask } from './tasks/maintenance.js';
import { makeRetentionTask } from './tasks/retention.js';

export interface RunningWorker {
  readonly workerId: string;
  /**
   * Settles with graphile-worker's error if its runner dies (it cannot record a job's outcome, e.g. the
   * database went away mid-write). The process should then exit non-zero and be restarted by its
   * supervisor: the jobs it held are released by the other workers' recovery (heartbeats).
   */
  readonly crashed: Promise<Error>;
  /** Takes no new jobs, lets running ones finish, then closes the pool and sends the spans left (at most 5 s). */
  stop(): Promise<void>;
}

/** Starts one worker process's runner against a migrated database (`config.DATABASE_URL` set). */
export async function startWorker(config: WorkerConfig): Promise<RunningWorker> {
  if (!config.DATABASE_URL) throw new Error('the worker needs DATABASE_URL');
  const workerId = config.WORKER_ID ?? `${os.hostname()}:${process.pid}`;
  const log = pino({ level: config.LOG_LEVEL, base: { service: 'worker', workerId } });
  const telemetry = await startTelemetry(config, { serviceName: 'darkroom-worker' });
  // Every session this process opens carries one name, so recovery can end them all if it goes silent.
  const sessionName = newSessionName();
  const databaseUrl = withSessionName(config.DATABASE_URL, sessionName);
  const db = makeDb({ url: databaseUrl, poolSize: config.WORKER_CONCURRENCY * 2 + 2 });
  const storage = createStorage(config, config.STORAGE_DIR);
  const providers = makeProviderRegistry(config);

  const gate = await makeProviderGate({
    databaseUrl,
    workerId,
    log,
    limitsFor: (provider) => ({
      concurrency: Math.max(1, config.PROVIDER_CONCURRENCY[provider] ?? 4),
      requestsPerMinute: config.PROVIDER_RPM[provider] ?? 0,
    }),
  });
  const jobChanges = await listenForJobChanges({
    databaseUrl,
    onError: (error) => log.warn({ err: error }, 'job change feed: connection trouble, reconnecting'),
  });
  const drain = new AbortController();
  const shutdown = new AbortController();
  // Every running job listens to both: WORKER_CONCURRENCY listeners each, not a leak.
  setMaxListeners(0, drain.signal, shutdown.signal);
  // graphile-worker names its pool and workers itself and locks jobs under the pool's name (0.17);
  // recovery needs those names to unlock a dead process's jobs.
  const events: WorkerEvents = new EventEmitter();
  const graphileWorkerIds = new Set<string>();
  events.on('pool:create', ({ workerPool }) => graphileWorkerIds.add(workerPool.id));
  events.on('worker:create', ({ worker }) => graphileWorkerIds.add(worker.workerId));
  const runner: Runner = await run({
    events,
    connectionString: databaseUrl,
    concurrency: config.WORKER_CONCURRENCY,
    // graphile-worker's own pool fetches and completes every job: one connection per job slot, so
    // fetching and completing never queue behind each other (its default is 10).
    maxPoolSize: Math.max(10, config.WORKER_CONCURRENCY),
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
        isEnabled: providers.isEnabled,
        moderationMin: config.MODERATION_MIN,
        fallbackOrder: providers.fallbackOrder,
        priceOf: (provider, quality, kind) => pricePerImage(config.CREDIT_PRICES, { provider, quality, kind }),
        log,
        // Job events reach their owners: they name this process by its opaque session name, and the
        // log (and the admin's worker list, through the heartbeat row) ties that to host:pid (F21).
        workerId: sessionName,
        imageConcurrency: config.IMAGE_CONCURRENCY,
        previews: config.PREVIEWS && { intervalMs: config.PREVIEW_INTERVAL_MS, maxSide: config.PREVIEW_MAX_SIDE },
        imageRetry: imageRetryPolicy(config),
        maxRunningPerUser: config.MAX_RUNNING_JOBS_PER_USER,
        gate,
        jobChanges,
        drainSignal: drain.signal,
        shutdownSignal: shutdown.signal,
        onSuperseded: (error) => declaredDead?.(error),
      }),
      deliver_webhook: makeDeliverWebhookTask({
        db,
        log,
        maxAttempts: config.WEBHOOK_MAX_ATTEMPTS,
        timeoutMs: config.WEBHOOK_TIMEOUT_MS,
        outbound: makeOutboundGuard({
          allowPrivate: config.WEBHOOK_ALLOW_PRIVATE_TARGETS,
          dnsServers: config.DNS_SERVERS,
        }),
      }),
      maintain_queue: makeMaintenanceTask({
        db,
        log,
        promoteAfterSeconds: config.LOW_PRIORITY_PROMOTE_AFTER_SECONDS,
        orphans: { storage, graceSeconds: config.ORPHAN_GRACE_SECONDS, pageSize: config.ORPHAN_PAGE_SIZE },
      }),
      ...(config.RETENTION_DAYS > 0
        ? { retention: makeRetentionTask({ db, storage, days: config.RETENTION_DAYS, log }) }
        : {}),
    },
    // On one worker per tick (graphile-worker's cron takes a lock per tick): queue upkeep every minute,
    // retention every hour when it is on.
    parsedCronItems: parseCronItems([
      { task: 'maintain_queue', match: '* * * * *', options: { backfillPeriod: 0, priority: HOUSEKEEPING_PRIORITY } },
      ...(config.RETENTION_DAYS > 0
        ? [{ task: 'retention', match: '17 * * * *', options: { backfillPeriod: 0, priority: HOUSEKEEPING_PRIORITY } }]
        : []),
    ]),
  });
  let declaredDead: ((error: Error) => void) | undefined;
  const heartbeat = await startHeartbeat({
    db,
    workerId,
    sessionName,
    concurrency: config.WORKER_CONCURRENCY,
    graphileWorkerIds: () => [...graphileWorkerIds],
    deadAfterSeconds: config.WORKER_DEAD_AFTER_SECONDS,
    intervalMs: config.HEARTBEAT_INTERVAL_MS,
    recoveryIntervalMs: config.HEARTBEAT_INTERVAL_MS,
    log,
    // Its jobs may already run elsewhere, so it must not write another word about them (not even a
    // graceful release): crash at once, like a kill -9, and let the supervisor start a fresh process.
    onDeclaredDead: () =>
      declaredDead?.(
        new Error('declared dead by another worker after a silence longer than WORKER_DEAD_AFTER_SECONDS'),
      ),
  });
  const catalogs = startCatalogRefresh({ db, config, registry: providers, workerId, log });
  const positions =
    config.POSITION_EVENTS_INTERVAL_MS > 0
      ? startPositionEvents({ db, log, intervalMs: config.POSITION_EVENTS_INTERVAL_MS })
      : null;
  const engineReports = startEngineReports({ db, config, registry: providers, workerId, log });
  collectProcessMetrics();
  const metrics =
    config.WORKER_METRICS_PORT > 0 ? await serveMetrics(config.WORKER_METRICS_PORT, config.WORKER_METRICS_HOST) : null;
  log.info(
    { concurrency: config.WORKER_CONCURRENCY, metricsPort: config.WORKER_METRICS_PORT || null, sessionName },
    'worker started (job events name it by sessionName)',
  );

  let stopping: Promise<void> | undefined;
  const crashed = new Promise<Error>((resolve) => {
    declaredDead = (error) => {
      if (!stopping) resolve(error);
    };
    runner.promise.catch((error: unknown) => {
      if (stopping) return;
      log.fatal({ err: error }, 'graphile-worker runner died; this worker must be restarted');
      resolve(error instanceof Error ? error : new Error(String(error)));
    });
  });
  return {
    workerId,
    crashed,
    stop: () =>
      (stopping ??= (async () => {
        // No new jobs or images from here; images in flight get the grace period, then what is left of
        // each running job goes back to the queue for another worker.
        drain.abort('shutdown');
        const grace = setTimeout(() => shutdown.abort('shutdown'), config.SHUTDOWN_GRACE_MS);
        await runner.stop();
        clearTimeout(grace);
        await heartbeat.stop();
        await catalogs.stop();
        await positions?.stop();
        await engineReports.stop();
        await jobChanges.close();
        await new Promise((resolve) => (metrics ? metrics.close(resolve) : resolve(undefined)));
        await gate.close();
        await db.$disconnect();
        await storage.close?.();
        // The runs' spans still buffered are sent, within a bound: a collector that is down never holds a stop.
        if (telemetry && !(await telemetry.shutdown())) log.warn('traces: some spans were not sent before stopping');
        log.info('worker stopped');
      })()),
  };
}
