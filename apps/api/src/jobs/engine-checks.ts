/**
 * Refusals of a job's engine options (LoRAs, steps, guidance, sampler) for a provider that does not
 * take them, before anything is written: hosted vendors run their own settings, and silently dropping
 * what the caller asked for would sell them a different image. `details.reason` is
 * `option_not_accepted`, with the providers that do take the field.
 */
import { DomainError, ENGINE_OPTION_FIELDS, ENGINE_OPTION_PROVIDERS, type JobRequest } from '@darkroom/core';

export function assertEngineOptionsAccepted(
  request: Pick<JobRequest, 'provider' | 'loras' | 'steps' | 'guidance' | 'sampler'>,
  prefix: string,
) {
  for (const field of ENGINE_OPTION_FIELDS) {
    const accepts = ENGINE_OPTION_PROVIDERS[field];
    if (request[field] === undefined || accepts.includes(request.provider)) continue;
    throw new DomainError(
      'BAD_INPUT',
      `provider ${request.provider} does not take ${field}; providers that do: ${accepts.join(', ')}`,
      { field: `${prefix}${field}`, reason: 'option_not_accepted', provider: request.provider, accepts },
    );
  }
}
