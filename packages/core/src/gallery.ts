/**
 * The web gallery: every image an account made, across jobs, newest first, a page at a time; its
 * favourites; and what the image view shows of one image (the job's request beside the image's own
 * seed, size and provider).
 */
import { z } from 'zod';
import { AspectRatio, JobId, Preset, ProviderName, Quality } from './job-request.js';

export const GalleryImageView = z.object({
  id: z.string(),
  jobId: z.string(),
  /** The image's number in its job (0-based). */
  index: z.number().int(),
  url: z.string(),
  thumbnailUrl: z.string().nullable(),
  mime: z.string().nullable(),
  width: z.number().int(),
  height: z.number().int(),
  seed: z.number().int().nullable(),
  /** The job's prompt, as the person wrote it. */
  prompt: z.string(),
  /** The exact prompt sent to the provider for this image (preset and style added); null if unknown. */
  sentPrompt: z.string().nullable(),
  negativePrompt: z.string().nullable(),
  preset: Preset,
  style: z.string().nullable(),
  aspectRatio: AspectRatio,
  /** The provider that made it (a fallback's, when not the job's own). */
  provider: ProviderName,
  model: z.string().nullable(),
  quality: Quality.nullable(),
  projectId: z.string().nullable(),
  /** When it was made. */
  createdAt: z.string(),
  /** How long the provider took for it, when known. */
  durationMs: z.number().int().nullable(),
  /** What it cost, in credits (its job's price per image). */
  credits: z.number().int(),
  favourite: z.boolean(),
});
export type GalleryImageView = z.infer<typeof GalleryImageView>;

export const GalleryListInput = z.object({
  limit: z.number().int().min(1).max(100).default(30),
  /** The `nextCursor` of the previous page. */
  cursor: z.string().uuid().optional(),
  /** Only this project's images. */
  projectId: z.string().trim().min(1).max(128).optional(),
  /** Only favourites. */
  favourites: z.boolean().optional(),
});
export type GalleryListInput = z.input<typeof GalleryListInput>;

export const GalleryListView = z.object({
  items: z.array(GalleryImageView),
  nextCursor: z.string().nullable(),
});
export type GalleryListView = z.infer<typeof GalleryListView>;

export const GalleryImageRef = z.object({ id: JobId });

export const GalleryFavouriteInput = z.object({ id: JobId, favourite: z.boolean() });

/** The projects an account's jobs name, with how many jobs each, for the gallery's filter. */
export const ProjectListView = z.array(z.object({ projectId: z.string(), jobs: z.number().int() }));
export type ProjectListView = z.infer<typeof ProjectListView>;

/** A project's name, as a job's `projectId` holds it. */
export const ProjectName = z.string().trim().min(1).max(128);

/** Several of the caller's images at once (the gallery's selection): at most 100, each once. */
export const GalleryImageIds = z
  .array(JobId)
  .min(1)
  .max(100)
  .refine((ids) => new Set(ids).size === ids.length, 'each image at most once');

export const GalleryBulkInput = z.object({ ids: GalleryImageIds });

/**
 * Puts the images' jobs in a project (a new name makes a new project), or out of any (null). A project
 * belongs to a job, so every image of those jobs moves with them.
 */
export const GalleryMoveInput = z.object({ ids: GalleryImageIds, projectId: ProjectName.nullable() });

export const ProjectRenameInput = z.object({ from: ProjectName, to: ProjectName });
