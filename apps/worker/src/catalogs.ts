/**
 * Provider catalogs (what a job may choose), refreshed by every worker into `provider_catalogs` on start
 * and every CATALOG_REFRESH_MS: read from the engine for self-hosted engines, from configuration
 * (`*_MODELS`, plus the `*_MODEL` default) for hosted vendors. The API reads the table; it never calls an
 * engine. Several workers write the same rows; the last one wins, which is fine for lists that change
 * when an operator adds a file. An engine that does not answer keeps its previous row.
 */
import type { ProviderName } from '@darkroom/core';
import type { Db } from '@darkroom/db';
import type { ProviderCatalog } from '@darkroom/providers';
import type { Logger } from 'pino';
import type { WorkerConfig } from './env.js';
import type { ProviderRegistry } from './providers.js';

interface CatalogRow extends ProviderCatalog {
  defaultModel: string | null;
  source: 'engine' | 'config';
}

/** The configured catalog of a hosted vendor (or of local/mock: nothing to choose). */
function configuredCatalog(config: WorkerConfig, provider: ProviderName): CatalogRow {
  const lists: Partial<Record<ProviderName, [string[], string | undefined]>> = {
    openai: [config.OPENAI_MODELS, config.OPENAI_MODEL],
    stability: [config.STABILITY_MODELS, config.STABILITY_MODEL],
    replicate: [config.REPLICATE_MODELS, config.REPLICATE_MODEL],
    fal: [config.FAL_MODELS, config.FAL_MODEL],
  };
  const [models = [], defaultModel] = lists[provider] ?? [];
  return {
    models: [...new Set([...(defaultModel ? [defaultModel] : []), ...models])],
    loras: [],
    samplers: [],
    defaultModel: defaultModel ?? null,
    source: 'config',
  };
}

const ENGINE_DEFAULTS: Partial<Record<ProviderName, (config: WorkerConfig) => string | undefined>> = {
  a1111: (config) => config.A1111_MODEL,
  comfyui: (config) => config.COMFYUI_MODEL,
};

export async function refreshCatalogs(options: {
  db: Db;
  config: WorkerConfig;
  registry: ProviderRegistry;
  workerId: string;
  log: Logger;
  signal?: AbortSignal;
}): Promise<void> {
  const { db, config, registry, workerId, log } = options;
  await Promise.all(
    config.PROVIDERS_ENABLED.map(async (provider) => {
      let row: CatalogRow;
      const adapter = registry.providerFor(provider);
      if (adapter.catalog) {
        try {
          const read = await adapter.catalog(options.signal);
          row = { ...read, defaultModel: ENGINE_DEFAULTS[provider]?.(config) ?? null, source: 'engine' };
        } catch (error) {
          log.warn({ err: error, provider }, 'could not read the engine catalog; keeping the previous one');
          return;
        }
      } else row = configuredCatalog(config, provider);
      const data = { ...row, workerId, refreshedAt: new Date() };
      await db.providerCatalog.upsert({ where: { provider }, create: { provider, ...data }, update: data });
    }),
  );
}

/** Refreshes now and every `CATALOG_REFRESH_MS` until `stop()`. */
export function startCatalogRefresh(options: Parameters<typeof refreshCatalogs>[0]): { stop(): Promise<void> } {
  const stopped = new AbortController();
  let running: Promise<void> = Promise.resolve();
  const tick = () => {
    running = refreshCatalogs({ ...options, signal: stopped.signal }).catch((error: unknown) =>
      options.log.warn({ err: error }, 'catalog refresh failed'),
    );
  };
  tick();
  const timer = setInterval(tick, options.config.CATALOG_REFRESH_MS);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      stopped.abort();
      await running;
    },
  };
}
