/**
 * What a caller asks for: the closed vocabularies (presets, ratios, priorities, providers, qualities,
 * formats, statuses, stages, error codes), the `JobRequest` every surface validates with, references,
 * and the size an aspect ratio gives.
 */
import { z } from 'zod';
import { Guidance, LoraList, SamplerName, Steps } from './engine-options.js';
import { JobInputs } from './inputs.js';
import { MAX_IMAGES_PER_JOB, MAX_PROMPT_LENGTH } from './limits.js';
import { WEBHOOK_EVENTS, WebhookEvent, WebhookUrl } from './webhook.js';

export { MAX_IMAGES_PER_JOB, MAX_PROMPT_LENGTH };

/** How far ahead `notBefore` may be, in days. */
export const MAX_NOT_BEFORE_DAYS = 30;
/** The negative prompt's bound, counted after trimming (the prompt's is in limits.ts). */
export const MAX_NEGATIVE_PROMPT_LENGTH = 2000;
/** Caller bookkeeping (`metadata`) is stored as JSON and bounded by its serialised size. */
export const MAX_METADATA_BYTES = 8192;
/** Pixels on the long side of an image when the request does not say otherwise. */
export const DEFAULT_LONG_SIDE = 1024;

export const PRESETS = [
  'coloring-page',
  'cover',
  'illustration',
  'character-reference',
  'background',
  'photo',
  // Presets that take input images (PRESET_DEFINITIONS[preset].roles): the fashion jobs.
  'product-on-model',
  'flatlay',
  'background-swap',
] as const;
export const Preset = z.enum(PRESETS);
export type Preset = z.infer<typeof Preset>;

export const ASPECT_RATIOS = ['1:1', '4:3', '3:4', '3:2', '2:3', '16:9', '9:16'] as const;
export const AspectRatio = z.enum(ASPECT_RATIOS);
export type AspectRatio = z.infer<typeof AspectRatio>;

/** Order of service: urgent first, low last (low is promoted when it has waited too long). */
export const PRIORITIES = ['low', 'normal', 'high', 'urgent'] as const;
export const Priority = z.enum(PRIORITIES);
export type Priority = z.infer<typeof Priority>;

/**
 * `local` and `mock` run offline; `comfyui` and `a1111` are self-hosted engines (a pool of GPU servers);
 * the others are hosted vendors. Each is enabled per deployment (worker env).
 */
export const PROVIDER_NAMES = ['local', 'mock', 'openai', 'stability', 'replicate', 'fal', 'comfyui', 'a1111'] as const;
export const ProviderName = z.enum(PROVIDER_NAMES);
export type ProviderName = z.infer<typeof ProviderName>;

/**
 * Providers a job may choose a model for: self-hosted engines (a checkpoint file) and hosted vendors (one
 * of the operator's `*_MODELS`: an OpenAI model, a Stability endpoint or sd3 model, a Replicate
 * `owner/name[:version]`, a fal endpoint id).
 */
export const MODEL_PROVIDERS: readonly ProviderName[] = ['comfyui', 'a1111', 'openai', 'stability', 'replicate', 'fal'];
export const MAX_MODEL_LENGTH = 200;

/**
 * A model as engines name their checkpoints (`sdxl/sd_xl_base_1.0.safetensors`, `v1-5 [6ce0161689]`) and
 * vendors their models (`black-forest-labs/flux-dev:<version>`): letters, digits, space and
 * `. _ - / [ ] ( ) + :`, no `..` or leading `/`. Whether the provider has it is checked against its catalog.
 */
export const ModelName = z
  .string()
  .trim()
  .min(1, 'model must not be empty')
  .max(MAX_MODEL_LENGTH, `model must be at most ${MAX_MODEL_LENGTH} characters`)
  .regex(/^[\w.\-/ [\]()+:]+$/, 'model may hold letters, digits, spaces and . _ - / [ ] ( ) + : only')
  .refine(
    (name) => !name.startsWith('/') && !name.split('/').includes('..'),
    'model must be a relative name without ..',
  );

/**
 * How much care (and vendor spend) an image gets: `low` drafts, `medium` (what a provider does by
 * default), `high` finals. Providers with a quality setting are asked for it (OpenAI: low/medium/high,
 * DALL-E 3: standard/hd); credits may be priced per provider and quality (`CREDIT_PRICES=openai/high:8`).
 */
export const QUALITIES = ['low', 'medium', 'high'] as const;
export const Quality = z.enum(QUALITIES);
export type Quality = z.infer<typeof Quality>;

/** Formats an image can be stored in. */
export const OUTPUT_FORMATS = ['png', 'jpeg', 'webp'] as const;
export const OutputFormat = z.enum(OUTPUT_FORMATS);
export type OutputFormat = z.infer<typeof OutputFormat>;

/**
 * How strictly the vendor filters what it makes, strictest first: `strict` (the vendor's strictest
 * setting), `standard` (its default), `relaxed` (its most permissive). Adapters map it to each vendor's
 * own field (OpenAI `moderation`, Replicate/fal safety checker and `safety_tolerance`); a vendor without
 * one (Stability, `local`) ignores it. The operator's `MODERATION_MIN` (worker) is the least strict level
 * any job gets: a request below it is raised to it (`moderationWithin`), and the job's timeline says so.
 */
export const MODERATION_LEVELS = ['strict', 'standard', 'relaxed'] as const;
export const ModerationLevel = z.enum(MODERATION_LEVELS);
export type ModerationLevel = z.infer<typeof ModerationLevel>;

/** What the OpenAPI document says of `moderation`. */
export const MODERATION_DESCRIPTION =
  "How strictly the image vendor filters the images: strict, standard (default) or relaxed, mapped to the vendor's own setting (OpenAI moderation, Replicate/fal safety checker or safety_tolerance; Stability and local have none). Never less strict than the deployment's MODERATION_MIN: a request below it runs at it, and the job's timeline says so.";

/** The level a job runs at: what it asked for, or the operator's floor when that is stricter. */
export function moderationWithin(requested: ModerationLevel, floor: ModerationLevel): ModerationLevel {
  return MODERATION_LEVELS.indexOf(requested) > MODERATION_LEVELS.indexOf(floor) ? floor : requested;
}

export const JOB_STATUSES = ['queued', 'running', 'succeeded', 'failed', 'canceled'] as const;
export const JobStatus = z.enum(JOB_STATUSES);
export type JobStatus = z.infer<typeof JobStatus>;
export const TERMINAL_JOB_STATUSES: readonly JobStatus[] = ['succeeded', 'failed', 'canceled'];
export function isTerminalStatus(status: JobStatus): boolean {
  return TERMINAL_JOB_STATUSES.includes(status);
}

export const STAGES = ['references', 'prompts', 'generating', 'storing'] as const;
export const Stage = z.enum(STAGES);
export type Stage = z.infer<typeof Stage>;

export const IMAGE_STATUSES = ['pending', 'running', 'succeeded', 'failed', 'canceled'] as const;
export const ImageStatus = z.enum(IMAGE_STATUSES);
export type ImageStatus = z.infer<typeof ImageStatus>;

/**
 * Why a job or an image failed. Provider codes follow one taxonomy whatever the vendor;
 * `retryable` on the error says whether trying again could help.
 */
export const ERROR_CODES = [
  'rate_limited',
  'transient',
  'timeout',
  'content_filtered',
  'invalid_request',
  'auth',
  'quota_exhausted',
  'canceled',
  'invalid_payload',
  'start_deadline_exceeded',
  'run_timeout',
  /** No worker ended the job: its run deadline passed long ago, or its queue entry was lost; ended by the sweep. */
  'abandoned',
  /** The job names a provider the worker that took it does not run (its PROVIDERS_ENABLED); refunded. */
  'provider_unavailable',
  'internal',
] as const;
export const ErrorCode = z.enum(ERROR_CODES);
export type ErrorCode = z.infer<typeof ErrorCode>;

export const JobError = z.object({
  code: ErrorCode,
  message: z.string(),
  retryable: z.boolean(),
});
export type JobError = z.infer<typeof JobError>;

const Metadata = z.record(z.string(), z.unknown()).superRefine((value, ctx) => {
  const bytes = new TextEncoder().encode(JSON.stringify(value)).length;
  if (bytes > MAX_METADATA_BYTES) {
    ctx.addIssue({
      code: 'too_big',
      origin: 'string',
      maximum: MAX_METADATA_BYTES,
      inclusive: true,
      message: `metadata must serialise to at most ${MAX_METADATA_BYTES} bytes of JSON (got ${bytes})`,
    });
  }
});

/** What a caller sends to create a job. The web form and every API surface validate with it. */
export const JobRequest = z.object({
  preset: Preset.default('illustration'),
  prompt: z.string().trim().min(1, 'prompt must not be empty').max(MAX_PROMPT_LENGTH),
  negativePrompt: z.string().trim().max(MAX_NEGATIVE_PROMPT_LENGTH).optional(),
  numImages: z.number().int().min(1).max(MAX_IMAGES_PER_JOB).default(1),
  /** Default: the preset's own (coloring-page 3:4, cover 2:3, background 16:9, ...). */
  aspectRatio: AspectRatio.optional(),
  /** A named style (see STYLE_PRESETS) or free text added to the prompt. */
  style: z.string().trim().min(1).max(64).optional(),
  /** Fixes the randomness: the same prompt, preset and seed give the same images. */
  seed: z.number().int().min(0).max(2_147_483_647).optional(),
  priority: Priority.default('normal'),
  provider: ProviderName.default('local'),
  /** The model to run, for providers in MODEL_PROVIDERS only. Default: the provider's configured one. */
  model: ModelName.optional(),
  /** Engine options (engine-options.ts), for providers in ENGINE_OPTION_PROVIDERS only. Default: the engine's. */
  loras: LoraList.optional(),
  steps: Steps.optional(),
  guidance: Guidance.optional(),
  sampler: SamplerName.optional(),
  /** Default: the provider's own (medium). May cost more or less (see CREDIT_PRICES). */
  quality: Quality.optional(),
  /** How images are stored and served: png (default), jpeg or webp, whatever the provider returns. */
  outputFormat: OutputFormat.default('png'),
  /**
   * How strictly the vendor filters the images: strict, standard (default) or relaxed. Never less strict
   * than the deployment's MODERATION_MIN: a request below it runs at it, and the timeline says so.
   */
  moderation: ModerationLevel.optional().describe(MODERATION_DESCRIPTION),
  /** The job fails with start_deadline_exceeded if no worker has started it by then (ISO 8601, future). */
  startBy: z.iso.datetime({ offset: true }).optional(),
  /**
   * Start no earlier than this (ISO 8601): in the future and at most MAX_NOT_BEFORE_DAYS (30) ahead.
   * The job is queued at once (its credits held) and waits for its time; cancel it like any queued job.
   */
  notBefore: z.iso.datetime({ offset: true }).optional(),
  /**
   * With `startBy`: refuse the job at submit (INVALID_STATE, reason `start_by_unmeetable`, with the
   * predicted start) when the queue's predicted start is later than `startBy`. Default false.
   */
  rejectIfLate: z.boolean().optional(),
  /** How long a run may take before it fails with run_timeout, in seconds. Default 600. */
  runTimeoutSeconds: z
    .number()
    .int()
    .min(1)
    .max(6 * 3600)
    .default(600),
  /** Submitting again with the same key returns the first job instead of creating a second one. */
  idempotencyKey: z.string().trim().min(1).max(255).optional(),
  projectId: z.string().trim().min(1).max(128).optional(),
  pageId: z.string().trim().min(1).max(128).optional(),
  metadata: Metadata.optional(),
  /** Darkroom POSTs the job's view here, signed (Standard Webhooks), when the job ends. Public addresses only. */
  webhookUrl: WebhookUrl.optional(),
  /** Which events call `webhookUrl`. Default `['job.finished']`. */
  webhookEvents: z.array(WebhookEvent).min(1).max(WEBHOOK_EVENTS.length).optional(),
  /** Images the job is made from, by asset or result-image id (see inputs.ts; none: text-to-image). */
  inputs: JobInputs.optional(),
});
/** A request as the caller writes it (defaults optional). */
export type JobRequestInput = z.input<typeof JobRequest>;
/** A request after validation (defaults filled in). */
export type JobRequest = z.output<typeof JobRequest>;

export const JobId = z.string().uuid();

/** References a job may use at most. */
export const MAX_REFERENCES_PER_JOB = 6;
/** Largest reference upload, in bytes. */
export const MAX_REFERENCE_BYTES = 10 * 1024 * 1024;
/** Image formats accepted as references (sniffed from the bytes, not taken from headers). */
export const REFERENCE_FORMATS = ['png', 'jpeg', 'webp'] as const;

/** Colours as #rrggbb. */
export const Palette = z.array(z.string().regex(/^#[0-9a-f]{6}$/));

/** A reference image chosen for a job, with the style metadata providers may use. */
export const JobReference = z.object({
  source: z.enum(['upload', 'result']),
  /** The reference's id (upload) or the earlier image's id (result). */
  id: z.string(),
  palette: Palette,
  tags: z.array(z.string()),
  /** Full-text search rank; higher matched better. */
  rank: z.number(),
});
export type JobReference = z.infer<typeof JobReference>;

/** What an upload may say about itself (query string of POST /api/v1/references). */
export const ReferenceUpload = z.object({
  tags: z
    .string()
    .max(500)
    .default('')
    .transform((text) =>
      text
        .split(',')
        .map((tag) => tag.trim().toLowerCase())
        .filter(Boolean),
    )
    .pipe(z.array(z.string().min(1).max(32)).max(16)),
  description: z.string().trim().max(500).default(''),
});

export const ReferenceView = z.object({
  id: z.string(),
  url: z.string(),
  mime: z.string(),
  width: z.number().int(),
  height: z.number().int(),
  bytes: z.number().int(),
  tags: z.array(z.string()),
  description: z.string(),
  palette: Palette,
  createdAt: z.string(),
});
export type ReferenceView = z.infer<typeof ReferenceView>;

/** Width and height for an aspect ratio, `longSide` pixels on the long side, both even. */
export function sizeFor(
  aspectRatio: AspectRatio,
  longSide: number = DEFAULT_LONG_SIDE,
): { width: number; height: number } {
  const [w, h] = aspectRatio.split(':').map(Number) as [number, number];
  const even = (n: number) => Math.max(2, Math.round(n / 2) * 2);
  return w >= h
    ? { width: even(longSide), height: even((longSide * h) / w) }
    : { width: even((longSide * w) / h), height: even(longSide) };
}
