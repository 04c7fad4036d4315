/**
 * The worker's configuration: environment variables, validated once. Nothing else reads process.env.
 */
import path from 'node:path';
import {
  CreditPricesEnv,
  IMAGE_RETRY,
  ModerationLevel,
  parseConfig,
  PROVIDER_NAMES,
  ProviderName,
  Secret,
  type RetryPolicy,
} from '@darkroom/core';
import { parseMockFailures } from '@darkroom/providers';
import { checkStorageConfig, StorageEnvShape } from '@darkroom/storage';
import { TelemetryEnvShape } from '@darkroom/telemetry/setup';
import { DnsServersEnv } from '@darkroom/core/outbound';
import { z } from 'zod';

/** `name:number,name:number`, e.g. `local:4,mock:64`. */
function namedNumbers(fallback: string) {
  return z
    .string()
    .default(fallback)
    .transform((text, ctx) => {
      const out: Record<string, number> = {};
      for (const part of text
        .split(',')
        .map((p) => p.trim())
        .filter(Boolean)) {
        const match = /^([a-z0-9-]+):(\d+)$/.exec(part);
        if (!match) {
          ctx.addIssue({ code: 'custom', message: `"${part}" is not provider:number (e.g. mock:32)` });
          return z.NEVER;
        }
        out[match[1]!] = Number(match[2]);
      }
      return out;
    });
}

/** `a,b,c` of provider names, each known. */
function providerList(fallback: string) {
  return z
    .string()
    .default(fallback)
    .transform((text) =>
      text
        .split(',')
        .map((part) => part.trim())
        .filter(Boolean),
    )
    .pipe(z.array(ProviderName, { error: `list provider names separated by commas (${PROVIDER_NAMES.join(', ')})` }));
}

/** An API key: kept as a Secret, so it never reaches a log, an error or a response. */
const apiKey = z
  .string()
  .trim()
  .min(1)
  .transform((key) => new Secret(key))
  .optional();

const baseUrl = z
  .string()
  .url()
  .transform((url) => url.replace(/\/+$/, ''))
  .optional();

/** `a,b,c`: names listed in a catalog, trimmed, empty parts dropped. */
const modelList = z
  .string()
  .optional()
  .transform((text) =>
    (text ?? '')
      .split(',')
      .map((part) => part.trim())
      .filter(Boolean),
  )
  .pipe(z.array(z.string().max(200, 'a model name must be at most 200 characters')).max(200, 'at most 200 models'));

/** `http://gpu1:7860,http://gpu2:7860`: one engine instance per URL, each http(s), trailing slashes dropped. */
const engineUrls = z
  .string()
  .optional()
  .transform((text, ctx) => {
    const urls = (text ?? '')
      .split(',')
      .map((part) => part.trim())
      .filter(Boolean);
    for (const url of urls) {
      let protocol = '';
      try {
        protocol = new URL(url).protocol;
      } catch {
        // reported below
      }
      if (protocol !== 'http:' && protocol !== 'https:') {
        ctx.addIssue({ code: 'custom', message: `"${url}" is not an http(s) URL` });
        return z.NEVER;
      }
    }
    return [...new Set(urls.map((url) => url.replace(/\/+$/, '')))];
  });

const INPUT_KINDS = ['image-to-image', 'inpaint', 'reference', 'upscale'] as const;

/** `inpaint=owner/name,upscale=owner/name`: the model each kind with inputs runs on (Replicate, fal). */
const kindModels = z
  .string()
  .optional()
  .transform((text, ctx) => {
    const out: Partial<Record<(typeof INPUT_KINDS)[number], string>> = {};
    for (const part of (text ?? '')
      .split(',')
      .map((p) => p.trim())
      .filter(Boolean)) {
      const [kind, model] = part.split('=').map((p) => p.trim());
      if (!INPUT_KINDS.includes(kind as never) || !model || !/^[\w.-]+\/[\w./:-]+$/.test(model)) {
        ctx.addIssue({
          code: 'custom',
          message: `"${part}" is not kind=owner/name (kinds: ${INPUT_KINDS.join(', ')})`,
        });
        return z.NEVER;
      }
      out[kind as (typeof INPUT_KINDS)[number]] = model;
    }
    return out;
  });

const fieldName = z
  .string()
  .regex(/^[A-Za-z_][\w{}]*$/, 'a field name')
  .max(64);
/** JSON `{ "owner/name": { "image": "input_image", "mask": "mask", ... } }`: a model's input fields (Replicate, fal). */
const inputFields = z
  .string()
  .optional()
  .transform((text, ctx) => {
    if (!text?.trim()) return {};
    try {
      return JSON.parse(text) as unknown;
    } catch {
      ctx.addIssue({ code: 'custom', message: 'is not JSON' });
      return z.NEVER;
    }
  })
  .pipe(
    z.record(
      z.string().regex(/^[\w.-]+\/[\w./:-]+$/, 'a model as owner/name'),
      z.strictObject({
        image: fieldName.optional(),
        mask: fieldName.optional(),
        strength: fieldName.optional(),
        references: z
          .strictObject({
            field: fieldName,
            as: z.enum(['single', 'list', 'numbered']),
            max: z.number().int().min(1).max(16),
          })
          .optional(),
        scale: fieldName.optional(),
        prompt: z.boolean().optional(),
        negativePrompt: fieldName.optional(),
        shape: z.enum(['aspect_ratio', 'image_size']).optional(),
      }),
    ),
  );

/** Jobs one engine instance runs at once from this worker. Default 1: one GPU makes one image at a time. */
const instanceConcurrency = z.coerce.number().int().min(1).max(16).default(1);

/** The variable each provider cannot run without (a vendor's key, an engine's URLs), so a missing one can be named. */
export const API_KEY_VARIABLES = {
  openai: 'OPENAI_API_KEY',
  stability: 'STABILITY_API_KEY',
  replicate: 'REPLICATE_API_TOKEN',
  fal: 'FAL_KEY',
  a1111: 'A1111_URLS',
  comfyui: 'COMFYUI_URLS',
} as const;

const WorkerEnv = z.object({
  /** Postgres connection string; required when the worker runs on its own. */
  DATABASE_URL: z.string().url().optional(),
  /** Where filesystem images live; must be the directory the API serves from. Default `.darkroom/images`. */
  DARKROOM_DATA_DIR: z
    .string()
    .min(1)
    .default('.darkroom')
    .transform((dir) => path.resolve(dir)),
  /** Image storage: STORAGE_DRIVER, STORAGE_DIR, S3_* (shared with the API; see @darkroom/storage). */
  ...StorageEnvShape,
  /** Traces over OTLP: off unless OTEL_EXPORTER_OTLP_ENDPOINT is set (see @darkroom/telemetry/setup). */
  ...TelemetryEnvShape,
  /** Jobs this process runs at once. Default 2. */
  WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(2),
  /** Images of one job generated at once. Default 2. */
  IMAGE_CONCURRENCY: z.coerce.number().int().min(1).max(32).default(2),
  /**
   * Step progress and previews of running images, where the engine reports them (ComfyUI, A1111, OpenAI
   * partial images, local's passes): at most one write per image per PREVIEW_INTERVAL_MS, a webp of at
   * most PREVIEW_MAX_SIDE pixels. `false` records neither. Default true, 500 ms, 256 px.
   */
  PREVIEWS: z
    .enum(['true', 'false'])
    .default('true')
    .transform((value) => value === 'true'),
  PREVIEW_INTERVAL_MS: z.coerce.number().int().min(100).max(60_000).default(500),
  PREVIEW_MAX_SIDE: z.coerce.number().int().min(32).max(512).default(256),
  /**
   * How often queued jobs' `position` events (and `job.position` webhooks) are written, in ms; one
   * worker at a time does it. 0 turns them off. Default 1000.
   */
  POSITION_EVENTS_INTERVAL_MS: z.coerce
    .number()
    .int()
    .refine((value) => value === 0 || (value >= 200 && value <= 60_000), 'must be 0 (off) or 200..60000')
    .default(1000),
  /** How often graphile-worker looks for due jobs when no notification arrives, in ms. Default 1000. */
  POLL_INTERVAL_MS: z.coerce.number().int().min(100).max(60_000).default(1000),
  /** Names this worker in logs and heartbeats. Default host:pid. */
  WORKER_ID: z.string().min(1).optional(),
  /** On SIGTERM, how long running images may take to finish before their jobs go back to the queue, in ms. Default 30000. */
  SHUTDOWN_GRACE_MS: z.coerce.number().int().min(0).default(30_000),
  /** A worker whose heartbeat is older than this is dead and its jobs are released, in seconds. Default 30. */
  WORKER_DEAD_AFTER_SECONDS: z.coerce.number().int().min(5).default(30),
  /** How often a worker writes its heartbeat and looks for dead workers, in ms. Default 5000. */
  HEARTBEAT_INTERVAL_MS: z.coerce.number().int().min(100).max(60_000).default(5000),
  /** Whether `npm start` runs a worker inside the launcher; `false` when all workers run elsewhere. Default true. */
  LAUNCH_WORKER: z
    .enum(['true', 'false'])
    .default('true')
    .transform((value) => value === 'true'),
  /** Serve this worker's Prometheus metrics at http://127.0.0.1:<port>/metrics; 0 = off. Default 0. */
  WORKER_METRICS_PORT: z.coerce.number().int().min(0).max(65535).default(0),
  /** Address the metrics server listens on. Default 127.0.0.1. */
  WORKER_METRICS_HOST: z.string().min(1).default('127.0.0.1'),
  /** Jobs that ended more than this many days ago are deleted with their images (hourly); 0 = keep forever. Default 0. */
  RETENTION_DAYS: z.coerce.number().int().min(0).max(36_500).default(0),
  /**
   * Orphaned image files (a crash mid-write, a failed delete) younger than this are left alone, in
   * seconds. A run in flight is never touched whatever this says. Default 3600.
   */
  ORPHAN_GRACE_SECONDS: z.coerce
    .number()
    .int()
    .min(60)
    .max(30 * 86_400)
    .default(3600),
  /** Files the upkeep task looks at per minute for orphans; 0 = off. Default 500. */
  ORPHAN_PAGE_SIZE: z.coerce.number().int().min(0).max(10_000).default(500),
  /** Running jobs one user may have at once across all workers; 0 = no cap. Default 0. */
  MAX_RUNNING_JOBS_PER_USER: z.coerce.number().int().min(0).max(10_000).default(0),
  /** A low-priority job queued this long moves to the normal band, in seconds. Default 300. */
  LOW_PRIORITY_PROMOTE_AFTER_SECONDS: z.coerce.number().int().min(1).default(300),
  /** Provider calls in flight at once across ALL workers, `provider:n` pairs. Default local:4,mock:64. */
  PROVIDER_CONCURRENCY: namedNumbers('local:4,mock:64'),
  /** Provider calls started per minute across ALL workers, `provider:n` pairs; unnamed = no limit. */
  PROVIDER_RPM: namedNumbers(''),
  /**
   * The least strict moderation a job may run at: strict, standard or relaxed. A job asking for less
   * runs at this level (and its timeline says so). Default standard: \`relaxed\` only where allowed.
   */
  MODERATION_MIN: ModerationLevel.default('standard'),
  /** Providers this deployment runs. Default local,mock. Each real vendor needs its key (below). */
  PROVIDERS_ENABLED: providerList('local,mock'),
  /**
   * Providers tried in order when an image's own provider is down (its attempts ended in transient,
   * timeout, rate_limited, auth or quota_exhausted). Default none: the image fails.
   */
  PROVIDER_FALLBACK: providerList(''),
  /**
   * The API's CREDIT_PRICES (set both alike). A job's images are charged at the price fixed at submit,
   * so an image falls back only to a provider that costs no more than that for the job's quality.
   */
  CREDIT_PRICES: CreditPricesEnv,
  /** Longest wait for one HTTP exchange with a vendor, `provider:ms` pairs. Default: the adapter's. */
  PROVIDER_TIMEOUT_MS: namedNumbers(''),
  /**
   * Tries per image at its provider when the error may pass (transient, timeout, rate limited), the
   * first included; 1 = never retry. A fallback provider gets the same budget. Default 3.
   */
  IMAGE_MAX_ATTEMPTS: z.coerce
    .number()
    .int()
    .min(1, 'must be at least 1 (1 = no retry)')
    .max(10, 'must be at most 10 (each try may be paid for)')
    .default(IMAGE_RETRY.maxAttempts),
  /** An image's first retry waits up to this long, in ms; each later one up to twice the last (full jitter). Default 500. */
  IMAGE_RETRY_BASE_MS: z.coerce
    .number()
    .int()
    .min(0, 'must be at least 0 ms')
    .max(60_000, 'must be at most 60000 ms')
    .default(IMAGE_RETRY.baseMs),
  /** No image retry waits longer than this, in ms (a vendor's retry-after is honoured up to 300000). Default 30000. */
  IMAGE_RETRY_CAP_MS: z.coerce
    .number()
    .int()
    .min(0, 'must be at least 0 ms')
    .max(600_000, 'must be at most 600000 ms')
    .default(IMAGE_RETRY.capMs),
  /** How often queued vendors (replicate, fal, stability async) are polled, in ms. Default 1000. */
  PROVIDER_POLL_INTERVAL_MS: z.coerce.number().int().min(10).max(60_000).default(1000),

  OPENAI_API_KEY: apiKey,
  /** Default https://api.openai.com/v1 (any OpenAI-compatible Images endpoint works). */
  OPENAI_BASE_URL: baseUrl,
  /** gpt-image-1 (default), gpt-image-1-mini, dall-e-3, ... */
  OPENAI_MODEL: z.string().min(1).default('gpt-image-1'),
  /** gpt-image: low|medium|high|auto; dall-e-3: standard|hd. Default: the vendor's. */
  OPENAI_QUALITY: z.string().min(1).optional(),
  /** gpt-image only: png (default), jpeg or webp. */
  OPENAI_OUTPUT_FORMAT: z.enum(['png', 'jpeg', 'webp']).default('png'),
  /** gpt-image only: transparent, opaque or auto. Default: the vendor's. */
  OPENAI_BACKGROUND: z.enum(['transparent', 'opaque', 'auto']).optional(),

  STABILITY_API_KEY: apiKey,
  /** Default https://api.stability.ai */
  STABILITY_BASE_URL: baseUrl,
  /** Which stable-image generate endpoint: ultra, core (default) or sd3. */
  STABILITY_ENDPOINT: z.enum(['ultra', 'core', 'sd3']).default('core'),
  /** The sd3 endpoint's model, e.g. sd3.5-large. */
  STABILITY_MODEL: z.string().min(1).optional(),
  /** What an inpaint job runs on Stability: `inpaint` (default; the prompt fills the mask) or `erase`. */
  STABILITY_INPAINT_MODE: z.enum(['inpaint', 'erase']).default('inpaint'),
  /** Stability's upscaler for upscale jobs: `fast` (default) or `conservative`. */
  STABILITY_UPSCALER: z.enum(['fast', 'conservative']).default('fast'),

  REPLICATE_API_TOKEN: apiKey,
  /** Default https://api.replicate.com */
  REPLICATE_BASE_URL: baseUrl,
  /** `owner/name`, `owner/name:version` or `deployment:owner/name`. Default black-forest-labs/flux-schnell. */
  REPLICATE_MODEL: z
    .string()
    .regex(
      /^(deployment:)?[\w.-]+\/[\w.-]+(:[0-9a-f]+)?$/,
      'write owner/name, owner/name:version or deployment:owner/name',
    )
    .default('black-forest-labs/flux-schnell'),
  /** Seconds a create may wait for the result (`Prefer: wait`); 0 (default) records the id first. */
  REPLICATE_WAIT_SECONDS: z.coerce.number().int().min(0).max(60).default(0),
  /** The model each kind with inputs runs on, `kind=owner/name` comma-separated (docs/providers.md). Default: the built-in table. */
  REPLICATE_KIND_MODELS: kindModels,
  /** JSON: which input field of a model takes the image, mask, strength, references (docs/providers.md). Added to the built-in table. */
  REPLICATE_INPUT_FIELDS: inputFields,

  FAL_KEY: apiKey,
  /** Default https://queue.fal.run */
  FAL_BASE_URL: baseUrl,
  /** The model id, `owner/app[/path]`. Default fal-ai/flux/schnell. */
  FAL_MODEL: z
    .string()
    .regex(/^[\w.-]+\/[\w.-]+(\/[\w./-]+)?$/, 'write owner/app or owner/app/path')
    .default('fal-ai/flux/schnell'),
  /** As REPLICATE_KIND_MODELS, for fal endpoint ids. */
  FAL_KIND_MODELS: kindModels,
  /** As REPLICATE_INPUT_FIELDS, for fal endpoint ids. */
  FAL_INPUT_FIELDS: inputFields,

  /** AUTOMATIC1111 / Forge / SD.Next servers (started with `--api`), comma-separated. */
  A1111_URLS: engineUrls,
  /** `user:pass` of the servers' `--api-auth`, sent as HTTP Basic. */
  A1111_AUTH: apiKey,
  /** Images one A1111 server makes at once for this worker. Default 1. */
  A1111_INSTANCE_CONCURRENCY: instanceConcurrency,
  /** Checkpoint (title, name or hash) used when a job names none. Default: whatever the server has loaded. */
  A1111_MODEL: z.string().trim().min(1).optional(),
  /** Sampler steps per image on A1111. Default 25. */
  A1111_STEPS: z.coerce.number().int().min(1).max(150).default(25),

  /** ComfyUI servers, comma-separated. */
  COMFYUI_URLS: engineUrls,
  /** Sent as the Authorization header to every ComfyUI server (ComfyUI has none; a proxy in front may). */
  COMFYUI_AUTH: apiKey,
  /** Prompts one ComfyUI server runs at once for this worker. Default 1. */
  COMFYUI_INSTANCE_CONCURRENCY: instanceConcurrency,
  /** A directory of API-format workflow templates (`<name>.json`), added to the built-in `txt2img`, `img2img`, `inpaint`. */
  COMFYUI_WORKFLOWS_DIR: z.string().trim().min(1).optional(),
  /** The template used for text-to-image. Default txt2img. */
  COMFYUI_WORKFLOW: z.string().trim().min(1).default('txt2img'),
  /** Value of the templates' `{{model}}` when a job names none (a checkpoint file name). Default: the template's. */
  COMFYUI_MODEL: z.string().trim().min(1).optional(),
  /** Value of the templates' `{{steps}}`. Default: the template's (the built-in: 20). */
  COMFYUI_STEPS: z.coerce.number().int().min(1).max(10_000).optional(),

  /**
   * How long each of the local provider's first passes (sketch, colour) takes, in ms, whether or not
   * previews are on: a demo or test sees the image develop as a GPU engine's would, and an engine's
   * steps take their time watched or not. Default 0 (as fast as the CPU renders).
   */
  LOCAL_PASS_MS: z.coerce.number().int().min(0).max(60_000).default(0),
  /** Models listed for each hosted vendor (GET /v1/models, models.list), comma-separated; the `*_MODEL` is always listed. */
  OPENAI_MODELS: modelList,
  STABILITY_MODELS: modelList,
  REPLICATE_MODELS: modelList,
  FAL_MODELS: modelList,
  /** How often this worker reads its engines' catalogs into provider_catalogs, in ms. Default 300 000 (5 min). */
  CATALOG_REFRESH_MS: z.coerce.number().int().min(1000).max(86_400_000).default(300_000),
  /** How often each engine instance gets a cheap health check (A1111 /internal/ping, ComfyUI /queue), in ms. Default 15 000. */
  ENGINE_HEALTH_INTERVAL_MS: z.coerce.number().int().min(100).max(600_000).default(15_000),

  /** The mock provider's latency range in ms, `min-max` or one number. Default 0. */
  MOCK_LATENCY_MS: z
    .string()
    .regex(/^\d+(-\d+)?$/, 'write a latency as "1500-3500" or "250"')
    .default('0')
    .transform((text) => {
      const [min, max = min] = text.split('-').map(Number) as [number, number?];
      return [min, max] as const;
    }),
  /** The mock provider's failure mix, e.g. `transient:0.15,rate_limited:0.05`. Default none. */
  MOCK_FAILURES: z
    .string()
    .default('')
    .transform((text, ctx) => {
      try {
        return parseMockFailures(text);
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: (error as Error).message });
        return z.NEVER;
      }
    }),
  /** Retry-after the mock sends with rate_limited, in ms. Default 1000. */
  MOCK_RETRY_AFTER_MS: z.coerce.number().int().min(0).default(1000),
  /** Seed of the mock's draws. Default 0. */
  MOCK_SEED: z.coerce.number().int().default(0),
  /** Attempts at delivering one webhook before it is marked failed (backoff between them grows e^n s). Default 8. */
  WEBHOOK_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(20).default(8),
  /** How long a webhook receiver has to answer, in ms. Default 10000. */
  WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(10_000),
  /** Deliver webhooks to loopback and private addresses too (tests, a trusted internal network). Default false. */
  WEBHOOK_ALLOW_PRIVATE_TARGETS: z
    .enum(['true', 'false'])
    .default('false')
    .transform((value) => value === 'true'),
  /** The DNS servers that webhook hosts are resolved with (comma-separated host[:port]). Default: the system's. */
  DNS_SERVERS: DnsServersEnv,
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

/** Every variable the worker reads (.env.example must list each). */
export const WORKER_ENV_VARIABLES = Object.keys(WorkerEnv.shape);

/** Rules across variables: every enabled vendor has its key; default and fallbacks are enabled. */
const CheckedWorkerEnv = WorkerEnv.superRefine((config, ctx) => {
  checkStorageConfig(config, ctx);
  for (const provider of config.PROVIDERS_ENABLED) {
    if (!(provider in API_KEY_VARIABLES)) continue;
    const variable = API_KEY_VARIABLES[provider as keyof typeof API_KEY_VARIABLES];
    const value = config[variable];
    if (!value || (Array.isArray(value) && value.length === 0))
      ctx.addIssue({
        code: 'custom',
        path: [variable],
        message: `${variable} is required because PROVIDERS_ENABLED includes ${provider}`,
      });
  }
  if (config.IMAGE_RETRY_CAP_MS < config.IMAGE_RETRY_BASE_MS) {
    ctx.addIssue({
      code: 'custom',
      path: ['IMAGE_RETRY_CAP_MS'],
      message: `must be at least IMAGE_RETRY_BASE_MS (${config.IMAGE_RETRY_BASE_MS} ms)`,
    });
  }
  for (const provider of config.PROVIDER_FALLBACK) {
    if (!config.PROVIDERS_ENABLED.includes(provider))
      ctx.addIssue({ code: 'custom', path: ['PROVIDER_FALLBACK'], message: `${provider} is not in PROVIDERS_ENABLED` });
  }
});

export type WorkerConfig = z.infer<typeof WorkerEnv> & { STORAGE_DIR: string };

/** The image retry policy this configuration asks for (core's IMAGE_RETRY with the knobs applied). */
export function imageRetryPolicy(config: WorkerConfig): RetryPolicy {
  return {
    ...IMAGE_RETRY,
    maxAttempts: config.IMAGE_MAX_ATTEMPTS,
    baseMs: config.IMAGE_RETRY_BASE_MS,
    capMs: config.IMAGE_RETRY_CAP_MS,
  };
}

export function loadWorkerConfig(env: Record<string, string | undefined> = process.env): WorkerConfig {
  const config = parseConfig('worker', CheckedWorkerEnv, env);
  return { ...config, STORAGE_DIR: config.STORAGE_DIR ?? path.join(config.DARKROOM_DATA_DIR, 'images') };
}
