/**
 * Assets: the images a user brings (uploads; what were "references" before), one store used by job
 * inputs and by the references stage. And what a job view shows of its inputs.
 */
import { z } from 'zod';
import { JobKind } from './inputs.js';
import { Palette } from './job-request.js';

/** An uploaded image as its owner sees it (`assets.list`, `assets.get`, `POST /api/v1/assets`). */
export const AssetView = z.object({
  id: z.string(),
  /** The stored bytes (EXIF orientation applied, metadata stripped), for their owner. */
  url: z.string(),
  /** A webp of at most 256 px on its long side; null for uploads stored before assets had one. */
  thumbnailUrl: z.string().nullable(),
  mime: z.string(),
  width: z.number().int(),
  height: z.number().int(),
  bytes: z.number().int(),
  /** sha256 of the stored bytes (hex): uploading the same image again answers this asset. */
  sha256: z.string().nullable(),
  tags: z.array(z.string()),
  description: z.string(),
  palette: Palette,
  createdAt: z.string(),
});
export type AssetView = z.infer<typeof AssetView>;

export const AssetRef = z.object({ id: z.string().uuid() });

/** Where one of a job's inputs sits among them. */
export const InputSlot = z.enum(['image', 'mask', 'reference']);
export type InputSlot = z.infer<typeof InputSlot>;

/** One of a job's inputs as its view shows it; its URLs keep working after the asset is deleted. */
export const JobInputView = z.object({
  slot: InputSlot,
  /** Order among the references (0 for image and mask). */
  position: z.number().int(),
  /** A reference's role; null for image and mask. */
  role: z.string().nullable(),
  /** The asset it was named by; null when it named a result image or the asset was deleted since. */
  assetId: z.string().nullable(),
  /** The result image it was named by; null when it named an asset. */
  imageId: z.string().nullable(),
  url: z.string(),
  thumbnailUrl: z.string().nullable(),
  mime: z.string(),
  width: z.number().int(),
  height: z.number().int(),
});
export type JobInputView = z.infer<typeof JobInputView>;

/** The scalar part of a job's inputs, as stored with it. */
export const JobInputOptions = z.object({
  strength: z.number().optional(),
  referenceMode: z.enum(['shared', 'per-image']),
  upscale: z.number().int().optional(),
});
export type JobInputOptions = z.infer<typeof JobInputOptions>;

/** What the view adds about inputs: the kind, the inputs and lineage. */
export const JobInputsView = z.object({
  kind: JobKind,
  inputs: z.array(JobInputView),
  inputOptions: JobInputOptions.nullable(),
  /** The result image this job was derived from (vary, upscale, edit region), or null. */
  parentImageId: z.string().nullable(),
});
