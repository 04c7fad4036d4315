/**
 * What every reader sees of a job: its images, its view, lists of them, prices, how to follow one live
 * (its timeline is events.ts).
 */
import { z } from 'zod';
import {
  AspectRatio,
  ImageStatus,
  JobError,
  JobId,
  JobReference,
  JobStatus,
  OutputFormat,
  Preset,
  Priority,
  ProviderName,
  Quality,
  Stage,
} from './job-request.js';
import { EngineOptions } from './engine-options.js';
import { JobInputsView } from './assets.js';
import { WebhookEvent } from './webhook.js';

export const ImageView = z.object({
  id: z.string(),
  index: z.number().int(),
  status: ImageStatus,
  url: z.string().nullable(),
  /** A webp of at most 256 px on its long side, for galleries; null until stored (or if none was made). */
  thumbnailUrl: z.string().nullable(),
  mime: z.string().nullable(),
  width: z.number().int().nullable(),
  height: z.number().int().nullable(),
  bytes: z.number().int().nullable(),
  seed: z.number().int().nullable(),
  error: JobError.nullable(),
  /** The exact prompt sent to the provider for this image (null until prompts are built). */
  prompt: z.string().nullable(),
  attempts: z.number().int(),
  /** 0-100: the engine's sampler steps while it runs (engines that report them), 100 once stored. */
  progress: z.number().int().min(0).max(100),
  /**
   * The latest preview of a running image (a webp of at most 256 px), where the engine makes them; null
   * otherwise. `url` changes with every new preview; `step` of `steps` says how far it is, when known.
   */
  preview: z
    .object({ url: z.string(), step: z.number().int().nullable(), steps: z.number().int().nullable() })
    .nullable(),
  /** The model that made it, as its engine reported it (or as it was asked for); null when unknown. */
  model: z.string().nullable().optional(),
});
export type ImageView = z.infer<typeof ImageView>;

/** A job as every reader sees it: status, where it is, and what it has produced so far. */
export const JobView = z.object({
  id: z.string(),
  batchId: z.string().nullable(),
  status: JobStatus,
  stage: Stage.nullable(),
  /** 0-100, never goes down. */
  progress: z.number().int().min(0).max(100),
  preset: Preset,
  prompt: z.string(),
  negativePrompt: z.string().nullable(),
  aspectRatio: AspectRatio,
  style: z.string().nullable(),
  seed: z.number().int().nullable(),
  numImages: z.number().int(),
  priority: Priority,
  provider: ProviderName,
  /** The model the request asked for (self-hosted engines); null: the provider's default. */
  model: z.string().nullable().optional(),
  /** LoRAs, steps, guidance, sampler the request set (self-hosted engines); null: the engine's defaults. */
  engineOptions: EngineOptions.nullable().optional(),
  /** What the request asked for; null: the provider's default. */
  quality: Quality.nullable(),
  outputFormat: OutputFormat,
  width: z.number().int(),
  height: z.number().int(),
  projectId: z.string().nullable(),
  pageId: z.string().nullable(),
  metadata: z.record(z.string(), z.unknown()).nullable(),
  error: JobError.nullable(),
  attempts: z.number().int(),
  /** Jobs ahead of this one (0 = next); null once it has started. */
  queuePosition: z.number().int().nullable(),
  /** Seconds until it is expected to start, from recent throughput; null when unknown or started. */
  estimatedWaitSeconds: z.number().nullable(),
  startBy: z.string().nullable(),
  /** Not started before this (the request's `notBefore`); null: as soon as the queue allows. */
  notBefore: z.string().nullable().optional(),
  runTimeoutSeconds: z.number().int(),
  counts: z.object({ succeeded: z.number().int(), failed: z.number().int() }),
  /**
   * What the job costs: `price` per image; `reserved` is held while it runs (given back for images
   * not made), `charged` is spent for images made. Once it ends, reserved is 0 and charged is its cost.
   */
  credits: z.object({
    price: z.number().int(),
    reserved: z.number().int(),
    charged: z.number().int(),
  }),
  images: z.array(ImageView),
  /** Reference images the references stage chose (empty until then, or when none matched). */
  references: z.array(JobReference),
  /** kind, inputs (JobRequest.inputs as stored, with URLs), inputOptions, parentImageId (lineage). */
  ...JobInputsView.shape,
  createdAt: z.string(),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
  updatedAt: z.string(),
  /**
   * Grows with every change of the job or one of its images: of two views of one job, the one with
   * the larger version is the newer (equal versions differ at most in queue place).
   */
  version: z.number().int(),
});
export type JobView = z.infer<typeof JobView>;

export const JobListInput = z.object({
  limit: z.number().int().min(1).max(100).default(20),
  /** The `nextCursor` of the previous page. */
  cursor: z.string().uuid().optional(),
  status: JobStatus.optional(),
  preset: Preset.optional(),
  projectId: z.string().trim().min(1).max(128).optional(),
  batchId: z.string().uuid().optional(),
  /** Jobs created at or after this instant (ISO 8601). */
  createdFrom: z.iso.datetime({ offset: true }).optional(),
  /** Jobs created before this instant (ISO 8601). */
  createdTo: z.iso.datetime({ offset: true }).optional(),
  /** Words to find in the prompt, style or preset (Postgres full-text search, `websearch` syntax). */
  search: z.string().trim().min(1).max(200).optional(),
});
export type JobListInput = z.input<typeof JobListInput>;

/** What one image costs per provider (`credits.prices`), so a form can show a job's cost before submit. */
export const PriceListView = z.object({
  /** Credits per image, keyed `provider`, `provider/quality` or `provider/kind` (e.g. `local/upscale`). */
  prices: z.record(z.string(), z.number().int()),
  /** The providers a job may name, cheapest first. */
  providers: z.array(z.object({ provider: ProviderName, creditsPerImage: z.number().int() })),
  /** The priorities the caller may ask for (PRIORITY_ALLOWED; admins: all). */
  priorities: z.array(Priority),
});
export type PriceListView = z.infer<typeof PriceListView>;

export const JobListView = z.object({
  items: z.array(JobView),
  nextCursor: z.string().nullable(),
});
export type JobListView = z.infer<typeof JobListView>;

export const JobRef = z.object({ id: JobId });

/** The id of the last live update a client saw; it resumes from there after a reconnect. */
const LastEventId = z.string().max(200).nullish();

/** Following one job live (`jobs.onUpdate`). */
export const JobFollowInput = z.object({ id: JobId, lastEventId: LastEventId });
export type JobFollowInput = z.infer<typeof JobFollowInput>;

/**
 * Following all of one's jobs live (`jobs.feed`). Its event ids are the changed job's `updatedAt` in
 * milliseconds since the epoch: anything else is refused rather than read as "from the beginning".
 */
export const JobFeedInput = z
  .object({
    lastEventId: z
      .string()
      .regex(/^\d{1,15}$/, 'lastEventId must be an event id of jobs.feed (milliseconds since the epoch)')
      .nullish(),
  })
  .optional();
export type JobFeedInput = z.infer<typeof JobFeedInput>;

/**
 * What a webhook POSTs (signed the Standard Webhooks way): the event and the job as `jobs.get` shows
 * it at delivery. It carries the job's view, not its timeline events: `jobs.events` has those.
 */
export const WebhookPayload = z.strictObject({
  type: WebhookEvent,
  timestamp: z.string(),
  data: JobView,
  /** For image.*, job.progress and job.position: the timeline event's data (e.g. `{ index }`). */
  event: z.record(z.string(), z.unknown()).optional(),
});
export type WebhookPayload = z.infer<typeof WebhookPayload>;
