/**
 * Reading jobs as callers see them (core's JobView). Used by every API surface; the worker writes,
 * this file only reads.
 */
import {
  EngineOptions,
  estimateWaitSeconds,
  type AspectRatio,
  type ErrorCode,
  type ImageView,
  type JobInputOptions,
  type JobInputView,
  type JobKind,
  type JobReference,
  type JobView,
  type OutputFormat,
  type Preset,
  type ProviderName,
  type Quality,
} from '@darkroom/core';
import type { Db, Tx } from './client.js';
import { Prisma, type Image, type Job, type JobInput } from './generated/prisma/client.js';
import { compareQueueKeys, startingPointFor, type QueueKey } from './queue-checkpoints.js';

/** Columns a view needs, so reads never pull more than they show. */
export const jobViewInclude = {
  images: { orderBy: { index: 'asc' as const } },
  inputs: { orderBy: [{ slot: 'asc' as const }, { position: 'asc' as const }] },
};
/** A job with its images and (when read with jobViewInclude) its input rows. */
export type JobWithImages = Job & { images: Image[]; inputs?: JobInput[] };

/** Where an image can be downloaded; served by the API with the owner's credentials. */
export function imageUrl(imageId: string): string {
  return `/images/${imageId}`;
}

export function toImageView(image: Image): ImageView {
  return {
    id: image.id,
    index: image.index,
    status: image.status,
    url: image.status === 'succeeded' && image.storageKey ? imageUrl(image.id) : null,
    thumbnailUrl: image.status === 'succeeded' && image.thumbnailKey ? `${imageUrl(image.id)}/thumbnail` : null,
    mime: image.mime,
    width: image.width,
    height: image.height,
    bytes: image.bytes,
    seed: image.seed,
    error: image.errorCode
      ? { code: image.errorCode as ErrorCode, message: image.errorMessage ?? '', retryable: false }
      : null,
    prompt: image.prompt,
    attempts: image.attempts,
    progress: image.status === 'succeeded' ? 100 : image.progress,
    // Only a running image shows its latest preview; `v` changes with each, so no cache serves an old one.
    preview:
      image.status === 'running' && image.previewVersion > 0
        ? {
            url: `${imageUrl(image.id)}/preview?v=${image.previewVersion}`,
            step: image.previewStep,
            steps: image.previewSteps,
          }
        : null,
    model: image.model,
  };
}

/** Where one of a job's inputs is served (its owner, or a signed link); works after its asset is deleted. */
export function inputUrl(inputId: string): string {
  return `/inputs/${inputId}`;
}

export function toJobInputView(input: JobInput): JobInputView {
  return {
    slot: input.slot as JobInputView['slot'],
    position: input.position,
    role: input.role,
    assetId: input.assetId,
    imageId: input.imageId,
    url: inputUrl(input.id),
    thumbnailUrl: input.thumbnailKey ? `${inputUrl(input.id)}/thumbnail` : null,
    mime: input.mime,
    width: input.width,
    height: input.height,
  };
}

export interface QueuePlace {
  position: number | null;
  estimatedWaitSeconds: number | null;
}

export function toJobView(job: JobWithImages, place: QueuePlace): JobView {
  return {
    id: job.id,
    batchId: job.batchId,
    status: job.status,
    stage: job.stage,
    progress: job.progress,
    preset: job.preset as Preset,
    prompt: job.prompt,
    negativePrompt: job.negativePrompt,
    aspectRatio: job.aspectRatio as AspectRatio,
    style: job.style,
    seed: job.seed,
    numImages: job.numImages,
    priority: job.priority,
    provider: job.provider as ProviderName,
    model: job.model,
    engineOptions: EngineOptions.safeParse(job.engineOptions).data ?? null,
    quality: job.quality as Quality | null,
    outputFormat: job.outputFormat as OutputFormat,
    width: job.width,
    height: job.height,
    projectId: job.projectId,
    pageId: job.pageId,
    metadata: (job.metadata as Record<string, unknown> | null) ?? null,
    error: job.errorCode
      ? { code: job.errorCode as ErrorCode, message: job.errorMessage ?? '', retryable: job.errorRetryable ?? false }
      : null,
    attempts: job.attempts,
    queuePosition: place.position,
    estimatedWaitSeconds: place.estimatedWaitSeconds,
    startBy: job.startBy?.toISOString() ?? null,
    notBefore: job.notBefore?.toISOString() ?? null,
    runTimeoutSeconds: job.runTimeoutSeconds,
    counts: {
      succeeded: job.images.filter((image) => image.status === 'succeeded').length,
      failed: job.images.filter((image) => image.status === 'failed').length,
    },
    credits: { price: job.creditPrice, reserved: job.creditsReserved, charged: job.creditsCharged },
    images: job.images.map(toImageView),
    references: (job.references as JobReference[] | null) ?? [],
    kind: job.kind as JobKind,
    inputs: (job.inputs ?? []).map(toJobInputView),
    inputOptions: (job.inputOptions as JobInputOptions | null) ?? null,
    parentImageId: job.parentImageId,
    createdAt: job.createdAt.toISOString(),
    startedAt: job.startedAt?.toISOString() ?? null,
    finishedAt: job.finishedAt?.toISOString() ?? null,
    updatedAt: job.updatedAt.toISOString(),
    version: job.images.reduce((sum, image) => sum + image.version, job.version),
  };
}

/**
 * How many queued jobs will be started before this one: those ranked ahead of it in the queue's order
 * (priority band, then place in their owner's backlog, then age). Null unless the job is queued.
 */
export async function queuePositionOf(
  db: Db | Tx,
  job: Pick<Job, 'id' | 'status' | 'queueRank' | 'createdAt'>,
): Promise<number | null> {
  if (job.status !== 'queued') return null;
  const [row] = await db.$queryRaw<{ ahead: bigint }[]>`select ${aheadOf(db, job)} as ahead`;
  return Number(row?.ahead ?? 0);
}

/**
 * SQL for the number of queued jobs ahead of `key`: from the nearest queue checkpoint when there is one
 * (queue-checkpoints.ts: a short count), otherwise from the queue's head.
 */
function aheadOf(db: Db | Tx, key: QueueKey): Prisma.Sql {
  const from = startingPointFor(db, key);
  if (!from)
    return Prisma.sql`(select count(*) from jobs where status = 'queued' and (queue_rank, created_at, id) < ${keySql(key)})`;
  return Prisma.sql`(${from.position}::bigint + (select count(*) from jobs where status = 'queued'
    and (queue_rank, created_at, id) >= ${keySql(from)} and (queue_rank, created_at, id) < ${keySql(key)}))`;
}

const keySql = (key: QueueKey) => Prisma.sql`(${key.queueRank}::int, ${key.createdAt}, ${key.id}::uuid)`;

const RATE_WINDOW_STARTS = 100;
const RATE_CACHE_MS = 2000;
const rateCache = new WeakMap<object, { at: number; rate: Promise<number | null> }>();

/**
 * Jobs started per second recently: the last 100 starts within five minutes. Cached for two seconds
 * per client, because every queued job's view asks for it.
 */
export function recentStartRate(db: Db | Tx): Promise<number | null> {
  const cached = rateCache.get(db);
  if (cached && Date.now() - cached.at < RATE_CACHE_MS) return cached.rate;
  const rate = db.$queryRaw<{ n: bigint; span: number | null }[]>`
    select count(*) as n, extract(epoch from (now() - min(started_at)))::float8 as span
    from (select started_at from jobs where started_at > now() - interval '5 minutes'
          order by started_at desc limit ${RATE_WINDOW_STARTS}) recent`.then(([row]) => {
    const n = Number(row?.n ?? 0);
    const span = row?.span ?? 0;
    return n >= 3 && span > 0 ? n / span : null;
  });
  rateCache.set(db, { at: Date.now(), rate });
  return rate;
}

export async function queuePlaceOf(
  db: Db | Tx,
  job: Pick<Job, 'id' | 'status' | 'queueRank' | 'createdAt'> & Partial<Pick<Job, 'notBefore'>>,
): Promise<QueuePlace> {
  const position = await queuePositionOf(db, job);
  if (position === null) return { position: null, estimatedWaitSeconds: null };
  return {
    position,
    estimatedWaitSeconds: notBeforeWait(job, estimateWaitSeconds(position, await recentStartRate(db))),
  };
}

/**
 * A queued job's expected wait made no earlier than its `notBefore` (graphile-worker does not fetch its
 * entry before then): the later of the queue's wait and the time left until then. The API's quote and
 * submit predict the same way (apps/api/src/jobs/schedule.ts).
 */
export function notBeforeWait(
  job: Partial<Pick<Job, 'notBefore'>>,
  wait: number | null,
  now = Date.now(),
): number | null {
  const left = job.notBefore ? Math.round((job.notBefore.getTime() - now) / 100) / 10 : 0;
  // A job still waiting for its time is known not to start before it, even without a queue rate.
  if (left <= 0) return wait;
  return Math.max(wait ?? 0, left);
}

/**
 * The queue places of several jobs (a page of a list, a batch) with one statement: one count of the
 * queue up to the first of them in queue order, and for each a count of the short stretch from that
 * first one to itself. Counting the whole queue ahead of each job separately cost one long count per
 * job. Every bound is a parameter, so each count is a range of the (status, queue_rank, created_at, id)
 * index. Jobs that are not queued get no place.
 */
export async function queuePlacesOf(
  db: Db | Tx,
  jobs: (Pick<Job, 'id' | 'status' | 'queueRank' | 'createdAt'> & Partial<Pick<Job, 'notBefore'>>)[],
): Promise<Map<string, QueuePlace>> {
  const places = new Map<string, QueuePlace>();
  for (const job of jobs) places.set(job.id, { position: null, estimatedWaitSeconds: null });
  const queued = jobs.filter((job) => job.status === 'queued').sort(compareQueueKeys);
  const first = queued[0];
  if (!first) return places;
  const stretches = queued.map(
    (job) =>
      Prisma.sql`(select count(*) from jobs where status = 'queued' and (queue_rank, created_at, id) >= ${keySql(first)} and (queue_rank, created_at, id) < ${keySql(job)})`,
  );
  const [row] = await db.$queryRaw<{ before_first: bigint; stretches: bigint[] }[]>`
    select ${aheadOf(db, first)} as before_first, array[${Prisma.join(stretches)}]::bigint[] as stretches`;
  const rate = await recentStartRate(db);
  queued.forEach((job, index) => {
    const position = Number(row!.before_first) + Number(row!.stretches[index]);
    places.set(job.id, { position, estimatedWaitSeconds: notBeforeWait(job, estimateWaitSeconds(position, rate)) });
  });
  return places;
}

/** One job as its owner sees it, or null when it does not exist or is not theirs. */
export async function findJobView(
  db: Db | Tx,
  { userId, jobId }: { userId: string; jobId: string },
): Promise<JobView | null> {
  const job = await db.job.findFirst({ where: { id: jobId, userId }, include: jobViewInclude });
  if (!job) return null;
  return toJobView(job, await queuePlaceOf(db, job));
}
