/**
 * Every ENGINE_HEALTH_INTERVAL_MS this worker checks each engine instance of its pools (a cheap GET) and
 * writes what it sees into `engine_instances`: host (never the URL's credentials), healthy or down until
 * when, calls in flight and the jobs they belong to. The admin view reads the rows of live workers; a
 * stopping worker deletes its own, and the recovery sweep deletes a killed one's (heartbeat.ts).
 */
import type { Db } from '@darkroom/db';
import type { Logger } from 'pino';
import type { WorkerConfig } from './env.js';
import type { ProviderRegistry } from './providers.js';

/** `host[:port]` of an instance URL: what the admin sees, without user, password, path or query. */
export function instanceHost(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return 'invalid-url';
  }
}

export async function reportEngines(options: {
  db: Db;
  config: WorkerConfig;
  registry: ProviderRegistry;
  workerId: string;
  signal?: AbortSignal;
}): Promise<void> {
  const { db, config, registry, workerId, signal } = options;
  const now = new Date();
  const rows = (
    await Promise.all(
      config.PROVIDERS_ENABLED.map(async (provider) => {
        const adapter = registry.providerFor(provider);
        if (!adapter.checkHealth) return [];
        const states = await adapter.checkHealth(signal);
        return states.map((state) => ({
          workerId,
          provider,
          host: instanceHost(state.url),
          state: state.downUntil === null ? 'healthy' : 'down',
          downUntil: state.downUntil === null ? null : new Date(state.downUntil),
          inFlight: state.busy,
          jobIds: state.jobIds,
          engineQueue: state.queue,
          updatedAt: now,
        }));
      }),
    )
  ).flat();
  if (signal?.aborted) return;
  await db.$transaction([
    db.engineInstance.deleteMany({ where: { workerId } }),
    db.engineInstance.createMany({ data: rows, skipDuplicates: true }),
  ]);
}

export function startEngineReports(options: {
  db: Db;
  config: WorkerConfig;
  registry: ProviderRegistry;
  workerId: string;
  log: Logger;
}): { stop(): Promise<void> } {
  const stopped = new AbortController();
  let running: Promise<void> = Promise.resolve();
  const tick = () => {
    running = reportEngines({ ...options, signal: stopped.signal }).catch((error: unknown) =>
      options.log.warn({ err: error }, 'could not report the engine instances'),
    );
  };
  tick();
  const timer = setInterval(tick, options.config.ENGINE_HEALTH_INTERVAL_MS);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      stopped.abort();
      await running;
      await options.db.engineInstance.deleteMany({ where: { workerId: options.workerId } }).catch(() => {});
    },
  };
}
