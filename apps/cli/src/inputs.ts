/**
 * The CLI's image inputs: `--image`, `--mask` and `--reference role=path` files uploaded as assets
 * first (the same bytes twice are one asset), then named by id in the job's inputs; and the derived
 * commands `vary <image-id>` and `upscale <image-id>`.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { DarkroomClient } from '@darkroom/client';
import type { JobInputsInput } from '@darkroom/core';
import { UsageError } from './exit-codes.js';

export const INPUT_OPTIONS = {
  image: { type: 'string' },
  mask: { type: 'string' },
  reference: { type: 'string', multiple: true },
  strength: { type: 'string' },
} as const;

type Values = Record<string, string | boolean | string[] | undefined>;

async function uploadFile(darkroom: DarkroomClient, flag: string, file: string): Promise<string> {
  const bytes = await readFile(file).catch((error: NodeJS.ErrnoException) => {
    throw new UsageError(`--${flag}: cannot read ${file} (${error.code ?? error.message})`);
  });
  return (await darkroom.upload(bytes, { filename: path.basename(file) })).id;
}

/** A 0..1 number for --strength; the server checks the range and names the field. */
export function fraction(name: string, value: string | boolean | string[] | undefined): number {
  const number = Number(value);
  if (typeof value !== 'string' || value.trim() === '' || !Number.isFinite(number))
    throw new UsageError(`--${name} must be a number from 0 to 1 (got ${String(value)})`);
  return number;
}

/** Uploads the files the flags name and returns the job's inputs, or undefined when there are none. */
export async function inputsFromFlags(darkroom: DarkroomClient, values: Values): Promise<JobInputsInput | undefined> {
  const references = (values.reference as string[] | undefined) ?? [];
  if (!values.image && !values.mask && references.length === 0) {
    if (values.strength !== undefined) throw new UsageError('--strength needs --image');
    return undefined;
  }
  const inputs: JobInputsInput = {};
  if (typeof values.image === 'string') inputs.image = await uploadFile(darkroom, 'image', values.image);
  if (typeof values.mask === 'string') inputs.mask = await uploadFile(darkroom, 'mask', values.mask);
  if (references.length) {
    inputs.references = [];
    for (const given of references) {
      // role=path; a bare path is a subject.
      const match = /^([a-zA-Z][\w-]{0,31})=(.+)$/.exec(given);
      const [role, file] = match ? [match[1]!, match[2]!] : ['subject', given];
      inputs.references.push({ id: await uploadFile(darkroom, 'reference', file), role });
    }
  }
  if (values.strength !== undefined) inputs.strength = fraction('strength', values.strength);
  return inputs;
}
