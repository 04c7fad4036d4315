/**
 * A job's image inputs as its run hands them to providers: read once per run from storage (the keys the
 * job copied at submit, so a deleted asset does not break it), then given to each image, per-image mode
 * giving image i reference i only.
 */
import { DEFAULT_STRENGTH, type JobKind } from '@darkroom/core';
import type { Job } from '@darkroom/db';
import type { GenerateInputs, InputImage } from '@darkroom/providers';
import type { PipelineDeps } from './deps.js';

export interface RunInputs {
  kind: JobKind;
  image?: InputImage;
  mask?: InputImage;
  references: { role: string; image: InputImage }[];
  referenceMode: 'shared' | 'per-image';
  strength?: number;
  upscale?: 2 | 4;
}

/** An input's file is missing from storage (deleted by hand, a storage moved without it). */
export class MissingInputError extends Error {
  override readonly name = 'MissingInputError';
}

interface StoredOptions {
  strength?: number;
  referenceMode?: 'shared' | 'per-image';
  upscale?: 2 | 4;
}

/** The job's inputs with their bytes, or null for a text-to-image job. Throws when a file is missing. */
export async function loadInputs(deps: PipelineDeps, job: Job): Promise<RunInputs | null> {
  if (job.kind === 'text-to-image') return null;
  const rows = await deps.db.jobInput.findMany({
    where: { jobId: job.id },
    orderBy: [{ slot: 'asc' }, { position: 'asc' }],
  });
  const read = async (row: (typeof rows)[number]): Promise<InputImage> => {
    const stored = await deps.storage.get(row.storageKey);
    if (!stored)
      throw new MissingInputError(`the ${row.slot} input (position ${row.position}) is missing from storage`);
    return { bytes: stored.body, mime: row.mime as InputImage['mime'], width: row.width, height: row.height };
  };
  const options = (job.inputOptions ?? {}) as StoredOptions;
  const loaded: RunInputs = {
    kind: job.kind as JobKind,
    references: [],
    referenceMode: options.referenceMode ?? 'shared',
    ...(options.upscale !== undefined ? { upscale: options.upscale } : {}),
  };
  for (const row of rows) {
    if (row.slot === 'image') loaded.image = await read(row);
    else if (row.slot === 'mask') loaded.mask = await read(row);
    else loaded.references.push({ role: row.role ?? 'subject', image: await read(row) });
  }
  if (loaded.kind === 'image-to-image') loaded.strength = options.strength ?? DEFAULT_STRENGTH;
  return loaded;
}

/** What one image of the run is given: everything, except that per-image mode gives image i reference i. */
export function inputsForImage(inputs: RunInputs, index: number): GenerateInputs {
  const references =
    inputs.referenceMode === 'per-image' ? inputs.references.slice(index, index + 1) : inputs.references;
  return {
    ...(inputs.image ? { image: inputs.image } : {}),
    ...(inputs.mask ? { mask: inputs.mask } : {}),
    ...(references.length ? { references } : {}),
    ...(inputs.strength !== undefined ? { strength: inputs.strength } : {}),
    ...(inputs.upscale !== undefined ? { upscale: inputs.upscale } : {}),
  };
}
