/**
 * Provider catalogs as the workers wrote them (provider_catalogs), and the submit-time check that a job's
 * model, LoRAs and sampler are ones its provider has (an engine's own lists, or a hosted vendor's
 * configured `*_MODELS`). A provider without a catalog row (no worker has written it yet) is not
 * checked: the worker's adapter still refuses an unknown name, failing the image.
 */
import {
  DomainError,
  listedNames,
  MODEL_PROVIDERS,
  type JobRequest,
  type ModelCatalogView,
  type ProviderCatalogView,
} from '@darkroom/core';
import type { Db } from '@darkroom/db';

export async function listModels({
  db,
  enabledProviders,
}: {
  db: Db;
  enabledProviders: readonly string[];
}): Promise<ModelCatalogView> {
  const rows = await db.providerCatalog.findMany({
    where: { provider: { in: [...enabledProviders] } },
    orderBy: { provider: 'asc' },
  });
  return {
    providers: rows.map((row) => ({
      provider: row.provider as ProviderCatalogView['provider'],
      models: row.models,
      loras: row.loras,
      samplers: row.samplers,
      defaultModel: row.defaultModel,
      source: row.source as ProviderCatalogView['source'],
      refreshedAt: row.refreshedAt.toISOString(),
    })),
  };
}

type Checked = Pick<JobRequest, 'provider' | 'model' | 'loras' | 'sampler'>;

/**
 * Refuses (BAD_INPUT, `details.reason` `unknown_model` | `unknown_lora` | `unknown_sampler`, naming the
 * field and listing what the provider has) a name the provider's catalog lacks, before anything is written.
 */
export async function assertInCatalogs(db: Db, requests: readonly { request: Checked; prefix: string }[]) {
  const providers = [
    ...new Set(
      requests
        .filter(({ request: r }) => MODEL_PROVIDERS.includes(r.provider) && (r.model || r.loras?.length || r.sampler))
        .map(({ request: r }) => r.provider),
    ),
  ];
  if (providers.length === 0) return;
  const rows = await db.providerCatalog.findMany({ where: { provider: { in: providers } } });
  const catalogs = new Map(rows.map((row) => [row.provider, row]));
  for (const { request, prefix } of requests) {
    const catalog = catalogs.get(request.provider);
    if (!catalog) continue;
    const refuse = (field: string, what: string, name: string, have: string[]) => {
      throw new DomainError('BAD_INPUT', `${request.provider} has no ${what} "${name}"; it has: ${listedNames(have)}`, {
        field,
        reason: `unknown_${what.toLowerCase()}`,
        provider: request.provider,
        available: have.slice(0, 100),
      });
    };
    if (request.model && !catalog.models.includes(request.model))
      refuse(`${prefix}model`, 'model', request.model, catalog.models);
    request.loras?.forEach((lora, index) => {
      if (!catalog.loras.includes(lora.name)) refuse(`${prefix}loras.${index}.name`, 'LoRA', lora.name, catalog.loras);
    });
    if (request.sampler && !catalog.samplers.includes(request.sampler))
      refuse(`${prefix}sampler`, 'sampler', request.sampler, catalog.samplers);
  }
}
