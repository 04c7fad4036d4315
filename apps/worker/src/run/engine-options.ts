import { EngineOptions } from '@darkroom/core';
import type { Job } from '@darkroom/db';
import type { GenerateRequest } from '@darkroom/providers';

/**
 * The job's engine options as GenerateRequest fields. The row was checked at submit, but it may have
 * been written by an older version: a value that no longer parses is dropped (the engine's default
 * runs) rather than failing the image.
 */
export function engineOptionsOfJob(
  job: Pick<Job, 'engineOptions'>,
): Pick<GenerateRequest, 'loras' | 'steps' | 'guidance' | 'sampler'> {
  const parsed = EngineOptions.safeParse(job.engineOptions ?? {});
  if (!parsed.success) return {};
  const { loras, steps, guidance, sampler } = parsed.data;
  return {
    ...(loras?.length ? { loras } : {}),
    ...(steps !== undefined ? { steps } : {}),
    ...(guidance !== undefined ? { guidance } : {}),
    ...(sampler !== undefined ? { sampler } : {}),
  };
}
