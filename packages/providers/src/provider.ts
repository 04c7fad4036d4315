import type { JobKind, ModerationLevel, OutputFormat, Preset, ProviderName, Quality } from '@darkroom/core';

/** Image formats a provider may return; the stored object keeps the vendor's format. */
export const IMAGE_MIME_TYPES = ['image/png', 'image/jpeg', 'image/webp'] as const;
export type ImageMime = (typeof IMAGE_MIME_TYPES)[number];

export interface GenerateRequest {
  /** The full provider prompt (preset instructions already added). */
  prompt: string;
  negativePrompt?: string;
  preset: Preset;
  style?: string;
  width: number;
  height: number;
  /** 0..2^31-1; the same request and seed give the same image where the provider allows. */
  seed: number;
  /** The care asked for; adapters with a quality setting pass it on, others ignore it. Default: the adapter's. */
  quality?: Quality;
  /** What the job does with its inputs (core `kindOf`). Default `text-to-image`. */
  kind?: JobKind;
  /** The images the job is made from, as bytes (the worker has read them from storage). */
  inputs?: GenerateInputs;
  /** Reference images' style metadata, for providers with `imageConditioning`. */
  references?: { palette: string[]; tags: string[] }[];
  /**
   * The format the image will be stored in. Adapters ask the vendor for it where the vendor can make
   * it; the caller converts anything else. Default: the adapter's configured format.
   */
  outputFormat?: OutputFormat;
  /**
   * How strictly the vendor filters the image (already raised to the operator's MODERATION_MIN).
   * Adapters send their vendor's own field (see moderation.ts); vendors without one ignore it. Default standard.
   */
  moderation?: ModerationLevel;
  /** 1 for the first try of this image, 2 for its first retry, ... */
  attempt?: number;
  /**
   * When the vendor must have started the work, or give up (vendors with a queue take it as their own
   * start deadline). Default: none.
   */
  startBy?: Date;
  /** Told where the vendor has the request (its queue position), when the vendor says. */
  onVendorStatus?: (status: VendorStatus) => void;
  /** Told the engine's step progress (`value` of `max` sampler steps), for engines that report it. */
  onProgress?: (progress: EngineProgress) => void;
  /**
   * Told each preview of the image as it develops (ComfyUI's binary frames, A1111's current_image,
   * OpenAI's partial images, local's passes). The caller throttles, shrinks and keeps only the latest.
   */
  onPreview?: (preview: EnginePreview) => void;
  /**
   * The model (checkpoint) to run, for providers with `capabilities.models`; validated against the
   * engine's own list. Default: the adapter's configured model, else whatever the engine has loaded.
   */
  model?: string;
  /**
   * The job's engine options (core EngineOptions), for the self-hosted engines: LoRAs with weights,
   * sampler steps, guidance (CFG scale) and sampler, checked against the engine's lists. Default: the
   * adapter's configured values, else the engine's or template's.
   */
  loras?: { name: string; weight: number }[];
  steps?: number;
  guidance?: number;
  sampler?: string;
  /** The job the image belongs to, for the engines' admin view (which job an instance is making). */
  jobId?: string;
  /**
   * Self-hosted engines: told the instance (its URL) the image is sent to, each time one is chosen (a
   * retry on another instance, a resume after a crash), for the admins' view of a running image.
   */
  onInstance?: (url: string) => void;
  /** Aborting rejects promptly with ProviderError('canceled'), and cancels the vendor's request where it can. */
  signal?: AbortSignal;
}

/** An input image as the adapter receives it: sniffed, EXIF-oriented, metadata stripped. */
export interface InputImage {
  bytes: Buffer;
  mime: ImageMime;
  width: number;
  height: number;
}

/**
 * A job's inputs for one image. `mask` follows Darkroom's convention (white = regenerate, black = keep,
 * the size of `image`); each adapter converts it to its vendor's (OpenAI: transparent = edit).
 */
export interface GenerateInputs {
  image?: InputImage;
  mask?: InputImage;
  /** In the caller's order; with `referenceMode: per-image` the worker passes each image its own one. */
  references?: { role: string; image: InputImage }[];
  /** Image-to-image: 0 keeps the input, 1 ignores it. */
  strength?: number;
  /** Upscale factor. */
  upscale?: 2 | 4;
}

/**
 * Abort a request's signal with this reason to stop waiting WITHOUT canceling the vendor's request: a
 * worker shutting down hands the image to another worker, which resumes the same request. Any other
 * reason (the job was canceled, the run timed out) also cancels the request at the vendor.
 */
export const DETACH = Symbol.for('darkroom.provider.detach');

/** Whether an aborted `signal` asks for the vendor's request to be canceled too (see DETACH). */
export function abortCancelsRequest(signal: AbortSignal | undefined): boolean {
  return Boolean(signal?.aborted) && signal?.reason !== DETACH;
}

/** Where a queued vendor has a request: waiting (with how many ahead, when known) or running. */
export interface VendorStatus {
  state: 'queued' | 'running';
  queuePosition?: number;
}

/** Sampler steps done (`value`) of `max`, as a self-hosted engine reports them. */
export interface EngineProgress {
  value: number;
  max: number;
}

/** One preview of an image being made: encoded bytes, and the step it shows when the engine says. */
export interface EnginePreview {
  bytes: Buffer;
  mime: ImageMime;
  step?: number;
  steps?: number;
}

export interface GeneratedImage {
  bytes: Buffer;
  mime: ImageMime;
  width: number;
  height: number;
  seed: number;
  /** The model that made it, when the engine says. */
  model?: string;
  /** The vendor's id for the request, when it has one. */
  providerRequestId: string | null;
}

export interface ProviderCapabilities {
  /** Images one request can return. */
  maxImagesPerRequest: number;
  /** Whether reference images can steer the result. */
  imageConditioning: boolean;
  /** Largest side in pixels. */
  maxLongSide: number;
  /** Whether a job may choose the model (`GenerateRequest.model`). Default false. */
  models?: boolean;
}

/** One engine instance as this process's pool sees it. */
export interface EngineInstanceState {
  url: string;
  /** Calls this process has on it now. */
  busy: number;
  /** Until when it is skipped (ms since epoch); null when healthy. */
  downUntil: number | null;
  /** The jobs (GenerateRequest.jobId) it is making for this process now. */
  jobIds: string[];
  /**
   * Prompts the engine itself has running or waiting, from every client (ComfyUI's `GET /queue`); null
   * where the engine does not say (A1111 has no such endpoint) or did not answer.
   */
  queue: number | null;
}

/** What an engine has, as read from it (`ImageProvider.catalog`): the names a job may choose. */
export interface ProviderCatalog {
  /** Checkpoints, as a job names them in `model`. */
  models: string[];
  loras: string[];
  samplers: string[];
}

/** The one interface every image provider adapter implements. */
export interface ImageProvider {
  readonly name: ProviderName;
  readonly capabilities: ProviderCapabilities;
  /** Credits per image. */
  readonly pricePerImage: number;
  /** Makes one image from start to end (for queued vendors: submit, then resume). */
  generate(request: GenerateRequest): Promise<GeneratedImage>;
  /**
   * Vendors whose work outlives one HTTP call (a queue, a prediction) split `generate` in two, so the
   * caller can record the vendor's request id before waiting: a worker that takes over after a crash
   * then resumes that request instead of paying for a second one. `submit` starts the work and answers
   * the vendor's request id; `resume` waits for it (from any process) and downloads the image at once,
   * because vendors delete results after a while.
   */
  submit?(request: GenerateRequest): Promise<string>;
  resume?(providerRequestId: string, request: GenerateRequest): Promise<GeneratedImage>;
  /**
   * Reads what the engine has (self-hosted engines): the union over its reachable instances. Fails
   * `transient` when none answers.
   */
  catalog?(signal?: AbortSignal): Promise<ProviderCatalog>;
  /**
   * Self-hosted engines: one cheap GET per instance (A1111 `/internal/ping`, ComfyUI `/queue`, which also gives its queue length),
   * marking each up or down, then every instance's state.
   */
  checkHealth?(signal?: AbortSignal): Promise<EngineInstanceState[]>;
  /** Asks the vendor to stop a request (where it has such an endpoint). */
  cancel?(providerRequestId: string): Promise<void>;
}
