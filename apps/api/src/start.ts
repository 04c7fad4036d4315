import { makeDb } from '@darkroom/db';
import { createStorage } from '@darkroom/storage';
import { startTelemetry } from '@darkroom/telemetry/setup';
import { accountSettingsFrom, type ApiConfig } from './env.js';
import { buildServer } from './server.js';

export interface RunningApi {
  /** Where the API listens, e.g. http://127.0.0.1:3000. */
  url: string;
  /**
   * Stops accepting requests, ends live streams, gives the rest API_SHUTDOWN_GRACE_MS to finish (then
   * closes their connections), closes the pool, sends the spans left (at most 5 s).
   */
  close(): Promise<void>;
}

/** Starts one API process against a migrated database (`config.DATABASE_URL` must be set). */
export async function startApi(config: ApiConfig): Promise<RunningApi> {
  if (!config.DATABASE_URL) throw new Error('startApi needs DATABASE_URL (the launcher resolves it first)');
  const telemetry = await startTelemetry(config, { serviceName: 'darkroom-api' });
  const db = makeDb({ url: config.DATABASE_URL, poolSize: config.DB_POOL_SIZE });
  const storage = createStorage(config, config.STORAGE_DIR);
  const app = await buildServer({
    db,
    databaseUrl: config.DATABASE_URL,
    storage,
    settings: accountSettingsFrom(config),
    metricsToken: config.METRICS_TOKEN,
    webDistDir: config.WEB_DIST_DIR,
    logLevel: config.LOG_LEVEL,
    trustProxy: config.TRUST_PROXY,
    ...(config.IMAGE_URL_SECRET ? { imageUrlSecret: config.IMAGE_URL_SECRET.reveal() } : {}),
    openAiWaitSeconds: config.OPENAI_COMPAT_WAIT_SECONDS,
    traces: telemetry !== null,
  });
  await app.listen({ host: config.HOST, port: config.PORT });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.PORT;
  return {
    url: `http://${config.HOST === '0.0.0.0' ? '127.0.0.1' : config.HOST}:${port}`,
    async close() {
      // Live streams end as closing starts (server.ts); what else is in flight gets the grace period,
      // then its connections are closed, so a stop always ends.
      const force = setTimeout(() => app.server.closeAllConnections(), config.API_SHUTDOWN_GRACE_MS);
      await app.close().finally(() => clearTimeout(force));
      await db.$disconnect();
      await storage.close?.();
      // Spans still buffered are sent, within a bound: a collector that is down never holds a stop.
      await telemetry?.shutdown();
    },
  };
}
