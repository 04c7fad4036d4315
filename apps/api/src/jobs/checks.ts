/**
 * The refusals a submit (single or batch) and a retry make before anything is written, each naming the
 * field it is about (`requests.3.priority` inside a batch).
 */
import {
  DomainError,
  kindOf,
  MODEL_PROVIDERS,
  promptFilterMatch,
  type JobRequest,
  type Priority,
  type ProviderName,
} from '@darkroom/core';
import type { AuthUser } from '../context.js';
import { prioritiesFor } from '../credits/service.js';
import type { AccountSettings } from '../env.js';
import { assertEngineOptionsAccepted } from './engine-checks.js';
import { assertSchedule } from './schedule.js';

/**
 * Refuses a job for a provider this deployment does not run (PROVIDERS_ENABLED): it would be priced as
 * one provider and run on another. `details.reason` is `provider_not_enabled`, with what is enabled.
 */
export function assertProviderEnabled(settings: AccountSettings, provider: ProviderName, field: string) {
  if (settings.enabledProviders.includes(provider)) return;
  throw new DomainError(
    'BAD_INPUT',
    `provider ${provider} is not enabled here; enabled: ${settings.enabledProviders.join(', ')}`,
    {
      field,
      reason: 'provider_not_enabled',
      provider,
      enabled: settings.enabledProviders,
    },
  );
}

/**
 * Refuses a model for a provider that does not take one (`details.reason` `model_not_accepted`, with the
 * providers that do), and a named hosted model that cannot run the job's kind (`model_cannot_run_kind`):
 * the adapters refuse those too, but only at the worker, after the job was queued and credits held.
 */
export function assertModelAccepted(request: Pick<JobRequest, 'provider' | 'model' | 'inputs'>, field: string) {
  if (request.model === undefined) return;
  if (!MODEL_PROVIDERS.includes(request.provider)) {
    throw new DomainError(
      'BAD_INPUT',
      `provider ${request.provider} does not take a model; providers that do: ${MODEL_PROVIDERS.join(', ')}`,
      { field, reason: 'model_not_accepted', provider: request.provider, accepts: MODEL_PROVIDERS },
    );
  }
  const kind = kindOf(request.inputs);
  const cannot = namedModelCannot(request.provider, request.model, kind);
  if (!cannot) return;
  throw new DomainError('BAD_INPUT', `model ${request.model} cannot run ${kind} on ${request.provider}: ${cannot}`, {
    field,
    reason: 'model_cannot_run_kind',
    provider: request.provider,
    model: request.model,
    kind,
  });
}

/** Why a named hosted model cannot run a kind (as its adapter decides), or null when it can. */
function namedModelCannot(provider: ProviderName, model: string, kind: string): string | null {
  if (provider === 'stability' && kind !== 'text-to-image') {
    if (kind === 'image-to-image' && model !== 'ultra' && model !== 'core') return null;
    return 'only an sd3 model takes image-to-image; the edit, control and upscale endpoints take no model';
  }
  if (provider === 'openai' && model.startsWith('dall-e-3') && kind !== 'text-to-image') return 'dall-e-3 has no edits';
  return null;
}

/**
 * Refuses (BAD_INPUT, `details.reason` `content_filtered`) a prompt or style the operator's content
 * policy (PROMPT_FILTER) does not take; before any credit is reserved or anything written.
 */
export function assertPromptAllowed(
  settings: AccountSettings,
  request: Pick<JobRequest, 'prompt' | 'style'>,
  prefix: string,
) {
  for (const field of ['prompt', 'style'] as const) {
    const matched = request[field] ? promptFilterMatch(settings.promptFilter, request[field]) : null;
    if (matched) {
      throw new DomainError(
        'BAD_INPUT',
        `the ${field} is refused by this deployment's content policy (it matches "${matched}")`,
        { field: `${prefix}${field}`, reason: 'content_filtered' },
      );
    }
  }
}

/** Refuses (FORBIDDEN, naming the field and what is allowed) a priority the caller may not ask for. */
export function assertPriorityAllowed(settings: AccountSettings, user: AuthUser, priority: Priority, field: string) {
  const allowed = prioritiesFor(settings, user);
  if (allowed.includes(priority)) return;
  throw new DomainError('FORBIDDEN', `priority ${priority} is for admins here; you may use ${allowed.join(', ')}`, {
    field,
    priority,
    allowed,
  });
}

export function assertStartByInFuture(input: JobRequest, field = 'startBy') {
  if (input.startBy && Date.parse(input.startBy) <= Date.now()) {
    throw new DomainError('BAD_INPUT', `${field} must be in the future (got ${input.startBy})`, {
      field,
      startBy: input.startBy,
    });
  }
}

/** Refuses more images than the operator allows per job (MAX_IMAGES_PER_JOB, at most core's 32). */
export function assertImageCount(settings: AccountSettings, request: JobRequest, field: string) {
  const maximum = settings.maxImagesPerJob;
  if (maximum === undefined || request.numImages <= maximum) return;
  throw new DomainError('BAD_INPUT', `a job may ask for at most ${maximum} images here (got ${request.numImages})`, {
    field,
    limit: 'MAX_IMAGES_PER_JOB',
    maximum,
  });
}

/** Every refusal of one request, before anything is written; `prefix` names it inside a batch. */
export function assertSubmittable(settings: AccountSettings, user: AuthUser, request: JobRequest, prefix = '') {
  assertStartByInFuture(request, `${prefix}startBy`);
  assertSchedule(request, prefix);
  assertImageCount(settings, request, `${prefix}numImages`);
  assertProviderEnabled(settings, request.provider, `${prefix}provider`);
  assertModelAccepted(request, `${prefix}model`);
  assertEngineOptionsAccepted(request, prefix);
  assertPriorityAllowed(settings, user, request.priority, `${prefix}priority`);
  assertPromptAllowed(settings, request, prefix);
}
