/**
 * `accept`: a request becomes a queued job in one statement, darkroom_accept_job (packages/db/sql): the
 * row, its images, the `created` event, the queue entry, the credits held under the user's row lock and
 * the active-jobs cap, so a refusal leaves nothing written. The answer is built from the row as sent plus
 * what Postgres decided (rank, created_at, place ahead): nothing is read back.
 */
import { createHash } from 'node:crypto';
import {
  engineOptionsOf,
  kindOf,
  aspectRatioFor,
  BAND_WIDTH,
  pricePerImage,
  PRIORITY_BANDS,
  sizeFor,
  TASKS,
  type JobKind,
  type JobRequest,
  type PriceTable,
} from '@darkroom/core';
import { v7 as uuidv7 } from 'uuid';
import { queryHot, type Db, type HotStatement, type Tx } from '../client.js';
import { domainErrorFromPostgres } from '../credits.js';
import type { Image, JobInput, Prisma } from '../generated/prisma/client.js';
import { queuePositionOf, type JobWithImages } from '../job-views.js';

export interface AcceptOptions {
  userId: string;
  /** The request as core's JobRequest parsed it (defaults filled in). */
  request: JobRequest;
  /** Credits per image by provider (the deployment's CREDIT_PRICES); the job keeps the price it got. */
  prices: PriceTable;
  /** Queued or running jobs one user may have at once (DR429, RATE_LIMITED, above it). */
  maxActiveJobs: number;
  /** `hashJobRequest(request)`, when the caller computed it already for its idempotency lookup. */
  requestHash?: string;
  /** The batch the job belongs to; null (the default) for a single submit. */
  batchId?: string | null;
  /**
   * Count the queued jobs ahead of it (a single submit answers its place). A batch passes false and
   * reads its jobs' places in one statement afterwards, outside its lock. Default true.
   */
  countAhead?: boolean;
  /** The W3C traceparent of the accept's span, kept on the row so the worker's run joins its trace. */
  traceParent?: string | null;
  /** The request's inputs resolved against the caller's assets and images (none: text-to-image). */
  inputs?: ResolvedInputs | null;
  /**
   * Counts the submit against its per-minute budget in the same statement (darkroom_accept_job's
   * `submits`; text-to-image only): refused with SUBMITS_REFUSED, its DETAIL `{ msBeforeNext }`.
   */
  submits?: SubmitCount | null;
}

/** rate-limiter-flexible's row for the caller's budget, as the API's limiter would count it. */
export interface SubmitCount {
  key: string;
  points: number;
  limit: number;
  nowMs: number;
  windowMs: number;
}

/** darkroom_accept_job's SQLSTATE for a submit over its per-minute budget (`submits`). */
export const SUBMITS_REFUSED = 'DR430';

// Named, so each connection parses and plans them once: every submit sends one (queryHot).
const ACCEPT: HotStatement = {
  name: 'darkroom_accept_job',
  text: `select rank, accepted_at, ahead
    from darkroom_accept_job($1::jsonb, $2::uuid[], $3::int, $4::int, $5::int, $6::int, $7::boolean, $8::jsonb)`,
};
const ACCEPT_WITH_INPUTS: HotStatement = {
  name: 'darkroom_accept_job_with_inputs',
  text: `select rank, accepted_at, ahead
    from darkroom_accept_job_with_inputs($1::jsonb, $2::uuid[], $3::int, $4::int, $5::int, $6::int, $7::boolean, $8::jsonb)`,
};

/** One input row as job_inputs keeps it (the storage key copied from the asset or image). */
export interface JobInputRow {
  slot: 'image' | 'mask' | 'reference';
  position: number;
  role: string | null;
  assetId: string | null;
  imageId: string | null;
  storageKey: string;
  thumbnailKey: string | null;
  mime: string;
  width: number;
  height: number;
}

/** What the API resolved a request's `inputs` to, written with the job in the same statement. */
export interface ResolvedInputs {
  kind: JobKind;
  /** The result image the job derives from (lineage), when its `image` is one. */
  parentImageId: string | null;
  options: { strength?: number; referenceMode: 'shared' | 'per-image'; upscale?: number };
  rows: JobInputRow[];
}

export interface Accepted {
  /** The new row as Postgres holds it, images included. */
  job: JobWithImages;
  /** Queued jobs ahead of it; null when `countAhead` was false. */
  ahead: number | null;
}

/**
 * How far darkroom_accept_job counts the queue ahead of a new job. A longer queue's place is read after
 * the accept from the queue checkpoints (queuePositionOf), a short count instead of the whole queue.
 */
export const AHEAD_COUNTED_UP_TO = 1000;

/** Which events call a job's webhook when the request names none (the column's default). */
const DEFAULT_WEBHOOK_EVENTS = ['job.finished'];

/**
 * Credits per image a request is accepted at (and quoted at): the price table's entry for its provider and
 * model, kind (from its inputs) or quality.
 */
export function priceOf(request: JobRequest, prices: PriceTable): number {
  return pricePerImage(prices, {
    provider: request.provider,
    quality: request.quality,
    model: request.model,
    kind: kindOf(request.inputs),
  });
}

export async function acceptJob(db: Db | Tx, options: AcceptOptions): Promise<Accepted> {
  const { userId, request, prices, maxActiveJobs, batchId = null, countAhead = true, inputs = null } = options;
  const creditPrice = priceOf(request, prices);
  const aspectRatio = aspectRatioFor(request.preset, request.aspectRatio);
  const { width, height } = sizeFor(aspectRatio);
  const row = {
    id: uuidv7(),
    userId,
    batchId,
    preset: request.preset,
    prompt: request.prompt,
    negativePrompt: request.negativePrompt ?? null,
    style: request.style ?? null,
    aspectRatio,
    width,
    height,
    seed: request.seed ?? null,
    provider: request.provider,
    model: request.model ?? null,
    engineOptions: engineOptionsOf(request),
    quality: request.quality ?? null,
    outputFormat: request.outputFormat,
    moderation: request.moderation ?? 'standard',
    numImages: request.numImages,
    priority: request.priority,
    startBy: request.startBy ? new Date(request.startBy) : null,
    notBefore: request.notBefore ? new Date(request.notBefore) : null,
    runTimeoutSeconds: request.runTimeoutSeconds,
    idempotencyKey: request.idempotencyKey ?? null,
    requestHash: options.requestHash ?? hashJobRequest(request),
    projectId: request.projectId ?? null,
    pageId: request.pageId ?? null,
    metadata: request.metadata ?? null,
    webhookUrl: request.webhookUrl ?? null,
    webhookEvents: request.webhookEvents ? [...new Set(request.webhookEvents)] : DEFAULT_WEBHOOK_EVENTS,
    creditPrice,
    creditsReserved: creditPrice * request.numImages,
    traceParent: options.traceParent ?? null,
  };
  const imageIds = Array.from({ length: request.numImages }, () => uuidv7());
  let accepted: { rank: number; accepted_at: Date; ahead: number | null } | undefined;
  const inputRows: JobInput[] = (inputs?.rows ?? []).map((input) => ({ id: uuidv7(), jobId: row.id, ...input }));
  const submits = options.submits ?? null;
  if (submits && inputs) throw new Error('acceptJob: a submit with inputs is counted before its accept');
  const values = [
    JSON.stringify(row),
    imageIds,
    PRIORITY_BANDS[request.priority],
    BAND_WIDTH,
    maxActiveJobs,
    TASKS.generate.maxAttempts,
    countAhead,
    // A text-to-image job keeps its one plain statement; one with inputs writes them in the same one.
    inputs
      ? JSON.stringify({
          kind: inputs.kind,
          parentImageId: inputs.parentImageId,
          options: inputs.options,
          rows: inputRows,
        })
      : submits && JSON.stringify(submits),
  ];
  try {
    [accepted] = await queryHot<{ rank: number; accepted_at: Date; ahead: number | null }>(
      db,
      inputs ? ACCEPT_WITH_INPUTS : ACCEPT,
      values,
    );
  } catch (error) {
    throw domainErrorFromPostgres(error) ?? error;
  }
  const { rank, accepted_at: createdAt, ahead } = accepted!;
  const job: JobWithImages = {
    ...row,
    metadata: row.metadata as Prisma.JsonValue,
    engineOptions: row.engineOptions as Prisma.JsonValue,
    queueRank: rank,
    promotedAt: null,
    progressEventAt: null,
    status: 'queued',
    stage: null,
    progress: 0,
    attempts: 0,
    errorCode: null,
    errorMessage: null,
    errorRetryable: null,
    references: null,
    creditsCharged: 0,
    deadline: null,
    cancelRequestedAt: null,
    createdAt,
    startedAt: null,
    finishedAt: null,
    updatedAt: createdAt,
    version: 0,
    kind: inputs?.kind ?? 'text-to-image',
    parentImageId: inputs?.parentImageId ?? null,
    inputOptions: inputs ? (inputs.options as Prisma.JsonValue) : null,
    inputs: inputRows,
    images: imageIds.map((id, index) => pendingImage(id, row.id, index, createdAt)),
  };
  // A queue longer than the accept counts: the place from the checkpoints, after the commit.
  if (ahead !== null && ahead >= AHEAD_COUNTED_UP_TO) return { job, ahead: await queuePositionOf(db, job) };
  return { job, ahead };
}

/**
 * What an idempotency key is checked against: the request without its key, stable across key order,
 * so the same request always hashes the same.
 */
export function hashJobRequest(request: JobRequest): string {
  const { idempotencyKey: _key, ...rest } = request;
  return createHash('sha256').update(stableStringify(rest)).digest('hex');
}

function stableStringify(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : 1));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableStringify(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** A just-inserted pending image, as darkroom_accept_job writes it. */
function pendingImage(id: string, jobId: string, index: number, createdAt: Date): Image {
  return {
    id,
    jobId,
    index,
    status: 'pending',
    attempts: 0,
    prompt: null,
    seed: null,
    storageKey: null,
    thumbnailKey: null,
    mime: null,
    width: null,
    height: null,
    bytes: null,
    providerRequestId: null,
    provider: null,
    model: null,
    engineInstance: null,
    errorCode: null,
    errorMessage: null,
    startedAt: null,
    finishedAt: null,
    durationMs: null,
    palette: null,
    createdAt,
    updatedAt: createdAt,
    version: 0,
    progress: 0,
    previewVersion: 0,
    previewStep: null,
    previewSteps: null,
  };
}
