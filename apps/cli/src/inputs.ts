/**
 * The CLI's image inputs: `--image`, `--mask` and `--reference role=path` files uploaded as assets
 * first (the same bytes twice are one asset), then named by id in the job's inputs.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { DarkroomClient } from '@darkroom/client';
import type { JobInputsInput } from '@darkroom/core';
import { UsageError } from './exit-codes.js';

/** The input flags of `generate`, as parsed. */
export interface InputFlags {
  image?: string;
  mask?: string;
  reference?: string[];
  strength?: number;
}

async function uploadFile(darkroom: DarkroomClient, flag: string, file: string): Promise<string> {
  const bytes = await readFile(file).catch((error: NodeJS.ErrnoException) => {
    throw new UsageError(`--${flag}: cannot read ${file} (${error.code ?? error.message})`);
  });
  return (await darkroom.upload(bytes, { filename: path.basename(file) })).id;
}

/** Uploads the files the flags name and returns the job's inputs, or undefined when there are none. */
export async function inputsFromFlags(
  darkroom: DarkroomClient,
  flags: InputFlags,
): Promise<JobInputsInput | undefined> {
  const references = flags.reference ?? [];
  if (!flags.image && !flags.mask && references.length === 0) {
    if (flags.strength !== undefined) throw new UsageError('--strength needs --image');
    return undefined;
  }
  const inputs: JobInputsInput = {};
  if (flags.image !== undefined) inputs.image = await uploadFile(darkroom, 'image', flags.image);
  if (flags.mask !== undefined) inputs.mask = await uploadFile(darkroom, 'mask', flags.mask);
  if (references.length) {
    inputs.references = [];
    for (const given of references) {
      // role=path; a bare path is a subject.
      const match = /^([a-zA-Z][\w-]{0,31})=(.+)$/.exec(given);
      const [role, file] = match ? [match[1]!, match[2]!] : ['subject', given];
      inputs.references.push({ id: await uploadFile(darkroom, 'reference', file), role });
    }
  }
  if (flags.strength !== undefined) inputs.strength = flags.strength;
  return inputs;
}
