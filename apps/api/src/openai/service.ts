/**
 * OpenAI-style synchronous generation on top of the asynchronous queue: submit a job like any other
 * surface, wait for it up to a limit, answer with the images.
 */
import {
  ASPECT_RATIOS,
  DomainError,
  JobRequest,
  type AspectRatio,
  type JobInputsInput,
  type JobView,
  type ModerationLevel,
  type Quality,
} from '@darkroom/core';
import type { Db } from '@darkroom/db';
import type { AuthUser, Services } from '../context.js';
import { listModels } from '../models/service.js';
import { waitForJobEnd } from '../jobs/live.js';
import { cancelJob, createJob } from '../jobs/traced.js';
import type { UrlSigner } from '../signed-urls.js';
import type { OpenAiImage, OpenAiImageRequest, OpenAiImagesResponse, OpenAiModel } from './wire.js';

/** The job ended without images (failed or canceled); the route turns it into OpenAI's error object. */
export class JobEndedWithoutImages extends Error {
  constructor(readonly job: JobView) {
    super(job.error?.message ?? `job ${job.id} ended ${job.status} without images`);
  }
}

/** The wait limit passed; the job was canceled (its credits refunded) so a retry cannot pay twice. */
export class WaitLimitReached extends Error {}

/**
 * The caller went away (or the server is stopping) while its job ran: nobody is left to answer. The job
 * goes on; an SDK that retries with the same Idempotency-Key waits for that same job.
 */
export class CallerGone extends Error {}

/** `WIDTHxHEIGHT` to the nearest of Darkroom's aspect ratios (by log ratio); `auto` keeps the preset's. */
export function aspectRatioForSize(size: string): AspectRatio | undefined {
  const match = /^(\d+)x(\d+)$/.exec(size);
  if (!match) return undefined;
  const wanted = Math.log(Number(match[1]) / Number(match[2]));
  const distance = (ratio: AspectRatio) => {
    const [w, h] = ratio.split(':').map(Number) as [number, number];
    return Math.abs(Math.log(w / h) - wanted);
  };
  return [...ASPECT_RATIOS].sort((a, b) => distance(a) - distance(b))[0];
}

/** OpenAI's qualities (gpt-image's and DALL-E 3's) as Darkroom's; `auto` leaves the provider's default. */
/** OpenAI's `moderation`: `auto` is its default filtering, `low` its less restrictive one. */
const OPENAI_MODERATION: Record<NonNullable<OpenAiImageRequest['moderation']>, ModerationLevel> = {
  auto: 'standard',
  low: 'relaxed',
};

const OPENAI_QUALITY: Record<OpenAiImageRequest['quality'], Quality | undefined> = {
  auto: undefined,
  low: 'low',
  medium: 'medium',
  high: 'high',
  standard: 'medium',
  hd: 'high',
};

/** How long an answered image URL works, as OpenAI documents for its own (60 minutes). */
export const OPENAI_URL_TTL_SECONDS = 3600;

export async function generateOpenAiImages({
  services,
  ...request
}: {
  services: Services;
  user: AuthUser;
  input: OpenAiImageRequest;
  idempotencyKey: string | undefined;
  waitSeconds: number;
  /** Scheme and host the caller reached, for absolute image URLs. */
  origin: string;
  /** Signs the answered URLs: OpenAI clients fetch them without credentials. */
  signer: UrlSigner;
  /** Aborts when the caller disconnects (or the server stops): the wait, and its stream slot, end. */
  gone: AbortSignal;
  /** Image inputs (the edits and variations routes), by asset id. */
  inputs?: JobInputsInput;
}): Promise<OpenAiImagesResponse> {
  // A waiting request holds a connection for up to waitSeconds: it takes a stream slot, before the job
  // is submitted, so a refusal leaves nothing behind.
  const release = services.streams.acquire(request.user.id);
  try {
    return await generateAndWait(services, request);
  } finally {
    release();
  }
}

async function generateAndWait(
  { db, storage, jobChanges, settings, limits }: Services,
  {
    user,
    input,
    idempotencyKey,
    waitSeconds,
    origin,
    signer,
    gone,
    inputs,
  }: Omit<Parameters<typeof generateOpenAiImages>[0], 'services'>,
): Promise<OpenAiImagesResponse> {
  const submitted = await submitOpenAiJob({ db, settings, limits }, { user, input, idempotencyKey, inputs });
  const timeout = AbortSignal.timeout(waitSeconds * 1000);
  const job = await waitForJobEnd({ db, jobChanges, user, id: submitted.id, signal: AbortSignal.any([timeout, gone]) });
  if ((job.status === 'queued' || job.status === 'running') && gone.aborted && !timeout.aborted)
    throw new CallerGone(`the caller of job ${job.id} went away`);
  if (job.status === 'queued' || job.status === 'running') {
    await cancelJob({ db, user, id: job.id }).catch(() => undefined);
    throw new WaitLimitReached(
      `job ${job.id} did not finish within ${waitSeconds} s and was canceled; try a smaller n, or use POST /api/v1/generations to wait as long as it takes`,
    );
  }
  const succeeded = job.images.filter((image) => image.status === 'succeeded');
  if (succeeded.length === 0) throw new JobEndedWithoutImages(job);

  let data: OpenAiImage[];
  if (input.response_format === 'b64_json') {
    const rows = await db.image.findMany({
      where: { jobId: job.id, status: 'succeeded' },
      orderBy: { index: 'asc' },
      select: { storageKey: true, prompt: true },
    });
    data = await Promise.all(
      rows.map(async (row) => {
        const stored = row.storageKey ? await storage.get(row.storageKey) : null;
        if (!stored) throw new DomainError('NOT_FOUND', `an image of job ${job.id} is missing from storage`);
        return { b64_json: stored.body.toString('base64'), ...(row.prompt ? { revised_prompt: row.prompt } : {}) };
      }),
    );
  } else {
    // Like OpenAI's own URLs: they open the image for whoever holds them, for 60 minutes.
    const expiresAt = new Date(Date.now() + OPENAI_URL_TTL_SECONDS * 1000);
    data = succeeded.map((image) => ({
      url: `${origin}${signer.sign(`/images/${image.id}`, expiresAt)}`,
      ...(image.prompt ? { revised_prompt: image.prompt } : {}),
    }));
  }
  return {
    created: Math.floor(Date.parse(job.createdAt) / 1000),
    data,
    output_format: 'png',
    quality: input.quality,
    size: `${job.width}x${job.height}`,
  };
}

/** The job an OpenAI-style request asks for, submitted like any other (the same checks, price, queue). */
export async function submitOpenAiJob(
  { db, settings, limits }: Pick<Services, 'db' | 'settings' | 'limits'>,
  {
    user,
    input,
    idempotencyKey,
    inputs,
  }: { user: AuthUser; input: OpenAiImageRequest; idempotencyKey: string | undefined; inputs?: JobInputsInput },
): Promise<JobView> {
  const aspectRatio = aspectRatioForSize(input.size);
  const chosen = providerAndModel(input.model);
  return createJob({
    db,
    user,
    settings,
    limits,
    input: JobRequest.parse({
      prompt: input.prompt,
      numImages: input.n,
      ...chosen,
      ...(aspectRatio ? { aspectRatio } : {}),
      ...(OPENAI_QUALITY[input.quality] ? { quality: OPENAI_QUALITY[input.quality] } : {}),
      ...(input.moderation ? { moderation: OPENAI_MODERATION[input.moderation] } : {}),
      ...(idempotencyKey ? { idempotencyKey } : {}),
      ...(inputs ? { inputs } : {}),
      metadata: {
        via: 'openai',
        quality: input.quality,
        size: input.size,
        ...(input.user ? { user: input.user } : {}),
      },
    }),
  });
}

/**
 * The providers this deployment runs, as OpenAI models, then each provider's catalog as `provider/model`
 * (the names `model` takes).
 */
export async function listOpenAiModels(
  db: Db,
  { enabledProviders }: { enabledProviders: readonly string[] },
): Promise<OpenAiModel[]> {
  const { providers } = await listModels({ db, enabledProviders });
  const ids = [
    ...enabledProviders,
    ...providers.flatMap((catalog) => catalog.models.map((model) => `${catalog.provider}/${model}`)),
  ];
  return ids.map((id) => ({ id, object: 'model', created: 0, owned_by: 'darkroom' }));
}

/**
 * `provider` or `provider/model` as JobRequest fields. Every provider with a catalog takes a model
 * (MODEL_PROVIDERS), checked against it at submit; a model for one without (local, mock) is refused there.
 */
function providerAndModel(id: string): { provider: string; model?: string } {
  const slash = id.indexOf('/');
  if (slash < 0) return { provider: id };
  return { provider: id.slice(0, slash), model: id.slice(slash + 1) };
}
