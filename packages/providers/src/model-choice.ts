/**
 * The model a hosted vendor's adapter runs for one request: the job's own (GenerateRequest.model) when
 * it names one, else the adapter's configured model. A job may name only a model of the operator's list
 * (`models`, the `*_MODELS` the catalog shows); the API checks the same list at submit, so this refusal
 * only meets a job submitted before the worker's catalog was written or after the list changed.
 */
import { listedNames } from '@darkroom/core';
import { ProviderError } from './errors.js';

export interface ModelChoiceOptions {
  /** Names the vendor in the error message. */
  vendor: string;
  /** The configured model, run when a request names none. */
  configured: string | undefined;
  /** Models a request may name besides the configured one. Undefined: any (the vendor decides). */
  allowed: readonly string[] | undefined;
}

/** The request's model, or the configured one; refuses (invalid_request) a name not allowed. */
export function chooseModel(requested: string | undefined, options: ModelChoiceOptions): string | undefined {
  if (requested === undefined || requested === options.configured || !options.allowed)
    return requested ?? options.configured;
  if (options.allowed.includes(requested)) return requested;
  const have = [...new Set([...(options.configured ? [options.configured] : []), ...options.allowed])];
  throw new ProviderError(
    'invalid_request',
    `${options.vendor}: model: "${requested}" is not one of this deployment's models; it has: ${listedNames(have)}`,
  );
}
