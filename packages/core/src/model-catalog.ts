/**
 * What each provider offers a job to choose, as the API serves it (`models.list`, `GET /api/v1/models`,
 * `GET /v1/models`): written by the workers, read from the engines themselves for self-hosted engines and
 * from configuration for hosted vendors.
 */
import { z } from 'zod';
import { ProviderName } from './job-request.js';

/** How many names an error message lists at most. */
export const LISTED_NAMES = 20;

export const ProviderCatalogView = z.object({
  provider: ProviderName,
  /** Checkpoints (engines) or vendor models, as a job names them. */
  models: z.array(z.string()),
  loras: z.array(z.string()),
  samplers: z.array(z.string()),
  /** The model a job runs when it names none, when configured. */
  defaultModel: z.string().nullable(),
  /** `engine`: read from the engine; `config`: from the worker's configuration. */
  source: z.enum(['engine', 'config']),
  refreshedAt: z.string(),
});
export type ProviderCatalogView = z.infer<typeof ProviderCatalogView>;

export const ModelCatalogView = z.object({ providers: z.array(ProviderCatalogView) });
export type ModelCatalogView = z.infer<typeof ModelCatalogView>;

/** `names`, at most LISTED_NAMES of them, for an error message. */
export function listedNames(names: readonly string[]): string {
  if (names.length === 0) return 'none';
  const shown = names.slice(0, LISTED_NAMES).join(', ');
  return names.length > LISTED_NAMES ? `${shown}, and ${names.length - LISTED_NAMES} more` : shown;
}
