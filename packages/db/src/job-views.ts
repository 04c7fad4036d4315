/**
 * Reading jobs as callers see them (core's JobView). Used by every API surface; the worker writes,
 * this file only reads.
 */
import type { AspectRatio, ErrorCode, ImageView, JobView, Preset, ProviderName } from '@darkroom/core';
import type { Db, Tx } from './client.js';
import type { Image, Job } from './generated/prisma/client.js';

/** Columns a view needs, so reads never pull more than they show. */
export const jobViewInclude = { images: { orderBy: { index: 'asc' } } } as const;
export type JobWithImages = Job & { images: Image[] };

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
  };
}

export function toJobView(job: JobWithImages, queuePosition: number | null): JobView {
  return {
    id: job.id,
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
    width: job.width,
    height: job.height,
    projectId: job.projectId,
    pageId: job.pageId,
    metadata: (job.metadata as Record<string, unknown> | null) ?? null,
    error: job.errorCode
      ? { code: job.errorCode as ErrorCode, message: job.errorMessage ?? '', retryable: job.errorRetryable ?? false }
      : null,
    attempts: job.attempts,
    queuePosition,
    counts: {
      succeeded: job.images.filter((image) => image.status === 'succeeded').length,
      failed: job.images.filter((image) => image.status === 'failed').length,
    },
    images: job.images.map(toImageView),
    createdAt: job.createdAt.toISOString(),
    startedAt: job.startedAt?.toISOString() ?? null,
    finishedAt: job.finishedAt?.toISOString() ?? null,
    updatedAt: job.updatedAt.toISOString(),
  };
}

/**
 * How many queued jobs will be served before this one: those of higher priority, and those of equal
 * priority submitted earlier. Null unless the job is queued. (Fairness between users refines this in
 * the job-semantics work; see docs/architecture.md.)
 */
export async function queuePositionOf(db: Db | Tx, job: Pick<Job, 'id' | 'status' | 'priority' | 'createdAt'>): Promise<number | null> {
  if (job.status !== 'queued') return null;
  const [row] = await db.$queryRaw<{ ahead: bigint }[]>`
    select count(*) as ahead from jobs
    where status = 'queued' and id <> ${job.id}::uuid
      and (priority > ${job.priority}::"Priority"
           or (priority = ${job.priority}::"Priority" and (created_at, id) < (${job.createdAt}, ${job.id}::uuid)))`;
  return Number(row?.ahead ?? 0);
}

/** One job as its owner sees it, or null when it does not exist or is not theirs. */
export async function findJobView(db: Db | Tx, { userId, jobId }: { userId: string; jobId: string }): Promise<JobView | null> {
  const job = await db.job.findFirst({ where: { id: jobId, userId }, include: jobViewInclude });
  if (!job) return null;
  return toJobView(job, await queuePositionOf(db, job));
}
